/**
 * TypeScript lines in the stack traces of deployed functions, paid for only when an error is
 * logged. `NODE_OPTIONS=--enable-source-maps` would have Node.js read each bundle's source map
 * at every cold start (about 20 ms of init, docs/PERFORMANCE.md); turning source maps on later
 * (`process.setSourceMapsEnabled`) maps only modules loaded after that, never the bundle that
 * is already running. So the function runs unmapped, and an error about to be logged has its
 * stack rewritten here: the bundle's `.map` file, which the deployment carries next to it, is
 * read on the first such error, parsed with Node.js's own `SourceMap`, and kept.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | undefined>();

function mapFor(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      // No map next to this file (a dependency outside the bundle, or a build without maps).
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** `functions/…` or `node_modules/…` from wherever the build ran; the path itself otherwise. */
function repositoryPath(source: string): string {
  const path = source.replace(/^file:\/\//, '');
  const anchored = /(?:^|\/)((?:functions|node_modules)\/.*)$/.exec(path);
  return anchored?.[1] ?? path.replace(/^(?:\.{1,2}\/)+/, '');
}

/** A frame's `file:line:column` of a built `.mjs`/`.js` file, as V8 prints it. */
const FRAME = /((?:file:\/\/)?\/[^\s():]+\.m?js):(\d+):(\d+)/g;

/** The stack with every frame that has a source map pointed at its TypeScript line. */
export function mapStack(stack: string): string {
  return stack.replace(FRAME, (frame, location: string, line: string, column: string) => {
    const file = location.startsWith('file:') ? fileURLToPath(location) : location;
    const entry = mapFor(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return frame;
    // esbuild names sources relative to the directory it built in (../../…/functions/…, a
    // temporary directory when CDK bundles); the repository-relative path is what a reader wants.
    const source = repositoryPath(entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/**
 * The error, its stack (and its causes' stacks) mapped to the TypeScript sources, for the
 * log. Under `--enable-source-maps` (tests, local mode) the stack is already mapped and
 * this changes nothing.
 */
export function withSourceStack<T>(error: T): T {
  if (error instanceof Error && typeof error.stack === 'string') {
    try {
      error.stack = mapStack(error.stack);
    } catch {
      // A stack we cannot map is still worth logging as it is.
    }
    if (error.cause) withSourceStack(error.cause);
  }
  return error;
}
