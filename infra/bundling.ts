import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSync } from 'esbuild';

/**
 * How every function is bundled, in one place: the CDK function construct runs esbuild with
 * these options (infra/constructs/service-function.ts), and the benchmark and the source-map
 * test build with the same, so what is measured is what is deployed.
 */

/** Node.js major version of the Lambda runtime; esbuild targets it. */
export const NODE_MAJOR = 22;

/** The repository root: route entries in functions/routes.ts are relative to it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** ESM output still meets CommonJS dependencies that call require(); every file gets one. */
export const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * esbuild's options for a function. The handler is `index.mjs`; what the code loads with
 * `import()` (Powertools' logger, the SDK's credential providers other than the environment's)
 * goes into chunks beside it, which Node.js reads and compiles only when first imported. A
 * single file would compile all of it at every cold start, used or not (docs/PERFORMANCE.md).
 */
export function esbuildOptions(): BuildOptions {
  return {
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: `node${NODE_MAJOR}`,
    platform: 'node',
    // Prefer ES module builds so esbuild can tree-shake the AWS SDK.
    mainFields: ['module', 'main'],
    // The AWS SDK is bundled too, rather than taken from the runtime: pinned versions, smaller init.
    external: [],
    splitting: true,
    entryNames: 'index',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    banner: { js: BANNER },
    absWorkingDir: REPO_ROOT,
    logLevel: 'warning',
  };
}

/** Bundles one function's entry (relative to the repository root) into `outdir`. */
export function bundleFunction(entry: string, outdir: string): void {
  buildSync({ ...esbuildOptions(), entryPoints: [resolve(REPO_ROOT, entry)], outdir });
}
