/**
 * How every function is bundled, in one place: the CDK function construct passes these to
 * NodejsFunction, and the benchmark builds with the same settings through esbuild directly,
 * so what is measured is what is deployed.
 */

/** Node.js major version of the Lambda runtime; esbuild targets it. */
export const NODE_MAJOR = 22;

export const BUNDLING = {
  minify: true,
  sourceMap: true,
  format: 'esm',
  target: `node${NODE_MAJOR}`,
  platform: 'node',
  /** Prefer ES module builds so esbuild can tree-shake the AWS SDK. */
  mainFields: ['module', 'main'],
  /** Bundle the AWS SDK too, instead of taking the runtime's copy: pinned versions, smaller init. */
  externalModules: [] as string[],
  /** ESM output still meets CommonJS dependencies that call require(); give them one. */
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;
