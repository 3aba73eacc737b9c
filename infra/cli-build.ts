/**
 * `npm run build`: the rollback command as one file. esbuild bundles cli/entry.ts with every
 * dependency into dist/platform-rollback.mjs (plain `node` on Node.js 20+ runs it: no tsx, no
 * node_modules), and the GitHub Action's entry into dist/action.mjs, which imports the first.
 * dist/ is committed (a JavaScript action runs from the repository as it is), so the build is
 * deterministic: the same sources give the same bytes, and a test rebuilds into a temporary
 * directory and compares (test/infra/dist.test.ts).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { buildConsole } from '../web/console-build.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The built files, relative to the output directory. */
export const CLI_FILES = ['platform-rollback.mjs', 'action.mjs'] as const;

const BUILTINS = new Set(builtinModules);

/**
 * Node.js's own modules, loaded when the code that uses them first runs rather than at start.
 * In an ES module bundle esbuild hoists every `import ... from 'node:x'` to the top of the
 * file, so `--help` would load crypto, http, https, zlib, child_process and the rest for the
 * AWS SDK it never calls. Each is given here as a CommonJS module that requires the real one:
 * esbuild initialises such a module on first use, inside the (lazily run) module that imports it.
 */
const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!BUILTINS.has(name)) return undefined;
      // The require inside the stand-in is the real module, left to Node.js.
      if (args.namespace === 'lazy-builtin') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'lazy-builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = require('node:${args.path}');`,
      loader: 'js',
    }));
  },
};

const COMMON: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'esm',
  platform: 'node',
  // GitHub's runners run actions on Node.js 24; the package promises Node.js 20 and later.
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  // Stack traces never reach users (every error is printed as its message), so no source map:
  // it would double what is committed and is not needed to read a report.
  sourcemap: false,
  legalComments: 'eof',
  logLevel: 'warning',
  plugins: [lazyBuiltins],
};

/**
 * The console's files, built now and carried inside the command: web/assets.ts loads
 * console-build.ts, which bundles the page from source with esbuild at run time; an installed
 * copy has neither, so the bundle gets a module of the same name that returns this build.
 */
async function prebuiltConsole(): Promise<Plugin> {
  const files = await buildConsole();
  return {
    name: 'prebuilt-console',
    setup(build) {
      build.onResolve({ filter: /^\.\/console-build\.js$/ }, (args) =>
        args.importer.endsWith(join('web', 'assets.ts'))
          ? { path: 'console-build', namespace: 'prebuilt-console' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'prebuilt-console' }, () => ({
        contents: `export async function buildConsole() { return ${JSON.stringify(files)}; }`,
        loader: 'js',
      }));
    },
  };
}

/**
 * ESM output still meets CommonJS code that calls require() (dependencies, and the lazy
 * builtins above); the banner gives each file one.
 */
const REQUIRE =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The AWS SDK's packages: what the command imports of them travels as embedded source. */
const SDK = /^(@aws-sdk|@smithy|@aws-crypto)\//;

/** The SDK packages the command's own code imports (statically or not), sorted. */
async function sdkImports(entry: string): Promise<string[]> {
  const { metafile } = await build({ ...COMMON, entryPoints: [entry], write: false, outdir: ROOT, metafile: true });
  const found = new Set<string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (file.includes('node_modules/')) continue;
    for (const imported of input.imports) if (SDK.test(imported.original ?? '')) found.add(imported.original as string);
  }
  return [...found].sort();
}

/**
 * The AWS SDK, out of the start's way. The command needs the SDK only to sign requests, find
 * credentials and look up an image, yet its code is most of the file (about 450 of 500 KB),
 * and Node.js compiles a module's whole text before running any of it: that alone cost
 * `--help` more than half its time. So the packages the command imports are bundled apart, as
 * one CommonJS module whose source the file carries as a string, and the command's imports of
 * them resolve to a stand-in that compiles and runs that source on first use (with
 * `new Function`, like any CommonJS loader; the string is this build's own output). The file
 * stays one file with every dependency inside.
 */
function embeddedSdk(packages: readonly string[], source: string): Plugin {
  return {
    name: 'embedded-sdk',
    setup(build) {
      build.onResolve({ filter: SDK }, (args) =>
        args.importer.includes('node_modules/') ? undefined : { path: args.path, namespace: 'embedded-sdk' },
      );
      build.onResolve({ filter: /^embedded-sdk-loader$/ }, () => ({ path: 'loader', namespace: 'embedded-sdk' }));
      build.onLoad({ filter: /.*/, namespace: 'embedded-sdk' }, (args) => {
        if (args.path !== 'loader') {
          if (!packages.includes(args.path)) throw new Error(`${args.path} is not among the embedded SDK packages`);
          return {
            contents: `module.exports = require('embedded-sdk-loader')(${JSON.stringify(args.path)});`,
            loader: 'js',
          };
        }
        return {
          loader: 'js',
          contents: [
            `const source = ${JSON.stringify(source)};`,
            'let packages;',
            'module.exports = (name) => {',
            '  if (!packages) {',
            '    const module = { exports: {} };',
            "    new Function('require', 'module', 'exports', source)(require, module, module.exports);",
            '    packages = module.exports;',
            '  }',
            '  return packages[name];',
            '};',
          ].join('\n'),
        };
      });
    },
  };
}

/** The SDK packages as one CommonJS module exporting each by name (see embeddedSdk). */
async function sdkBundle(packages: readonly string[]): Promise<string> {
  const exports = packages.map((name) => `${JSON.stringify(name)}: require(${JSON.stringify(name)})`);
  const { outputFiles } = await build({
    ...COMMON,
    stdin: { contents: `module.exports = { ${exports.join(', ')} };`, resolveDir: ROOT, loader: 'js' },
    format: 'cjs',
    write: false,
    outdir: ROOT,
  });
  const [file] = outputFiles;
  if (!file) throw new Error('esbuild wrote no SDK bundle');
  return file.text;
}

/** Builds both files into `outdir` (dist/ by default); returns their paths. */
export async function buildCli(outdir = join(ROOT, 'dist')): Promise<string[]> {
  mkdirSync(outdir, { recursive: true });
  const cli = join(outdir, CLI_FILES[0]);
  const entry = join(ROOT, 'cli/entry.ts');
  const packages = await sdkImports(entry);
  await build({
    ...COMMON,
    entryPoints: [entry],
    outfile: cli,
    plugins: [...(COMMON.plugins ?? []), embeddedSdk(packages, await sdkBundle(packages)), await prebuiltConsole()],
    banner: { js: `#!/usr/bin/env node\n${REQUIRE}` },
  });
  chmodSync(cli, 0o755);
  const action = join(outdir, CLI_FILES[1]);
  await build({
    ...COMMON,
    entryPoints: [join(ROOT, 'cli/action-entry.ts')],
    outfile: action,
    banner: { js: REQUIRE },
  });
  return [cli, action];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildCli(process.argv[2]);
  for (const file of files) process.stdout.write(`built ${file.replace(`${ROOT}/`, '')}\n`);
}
