import type { BuildOptions } from 'esbuild';

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

/**
 * BUNDLING as esbuild's own options: what NodejsFunction runs esbuild with, for the code that
 * builds with esbuild directly (the bench, the source-map test) and must build the same.
 */
export function esbuildOptions(): BuildOptions {
  return {
    bundle: true,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    format: BUNDLING.format,
    target: BUNDLING.target,
    platform: BUNDLING.platform,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.externalModules],
    banner: { js: BUNDLING.banner },
  };
}
