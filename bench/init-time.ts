/**
 * Module init time: how long a fresh Node.js process takes to import a built bundle (parse,
 * evaluate, create the SDK clients, read config). In Lambda this is the init phase of a cold
 * start, less the runtime's own start and the code download.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BUNDLING } from '../infra/bundling.js';
import { median } from './lib/stats.js';

/** Runs in the fresh process: times the dynamic import of the bundle given as argv[1]. */
const PROBE = [
  'const started = performance.now();',
  'await import(process.argv[1]);',
  'process.stdout.write(String(performance.now() - started));',
].join(' ');

/** The settings a deployed function reads at init; nothing here is contacted at import. */
const INIT_ENV = {
  TABLE_NAME: 'deployments',
  CURSOR_KEY: 'bench-cursor-key-0123456789abcdef',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
};

/**
 * Node.js flags as deployed: with source maps on, the functions run with
 * NODE_OPTIONS=--enable-source-maps (infra/constructs/service-function.ts), which makes Node.js
 * read the bundle's source map at import, a real part of the cold start.
 */
export const NODE_FLAGS: readonly string[] = BUNDLING.sourceMap ? ['--enable-source-maps'] : [];

/** Imports `file` in a new process and returns the import's duration in ms. */
export function importTime(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, '--input-type=module', '-e', PROBE, pathToFileURL(file).href],
      {
        env: { PATH: process.env.PATH ?? '', ...INIT_ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`importing ${file} failed (exit ${code}): ${err.slice(0, 500)}`));
    });
  });
}

export interface InitTime {
  id: string;
  reference: string;
  runs: number;
  medianMs: number;
  referenceMedianMs: number;
}

/**
 * `runs` rounds; each round imports every function's bundle and every reference bundle once,
 * one process at a time so they never compete for a core, in an order that rotates from round
 * to round. So function and reference runs interleave, and a slow phase of the machine hits
 * all of them alike.
 */
export async function measureInit(
  functions: readonly { id: string; file: string; reference: string }[],
  references: Readonly<Record<string, { file: string }>>,
  runs: number,
): Promise<InitTime[]> {
  const bundles = [
    ...functions.map((f) => ({ key: f.id, file: f.file })),
    ...Object.entries(references).map(([name, r]) => ({ key: `reference:${name}`, file: r.file })),
  ];
  const samples = new Map<string, number[]>(bundles.map((b) => [b.key, []]));
  // One discarded pass warms the file system cache for every bundle.
  for (const b of bundles) await importTime(b.file);
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < bundles.length; i++) {
      const b = bundles[(i + round) % bundles.length] as (typeof bundles)[number];
      samples.get(b.key)?.push(await importTime(b.file));
    }
  }
  return functions.map((f) => ({
    id: f.id,
    reference: f.reference,
    runs,
    medianMs: median(samples.get(f.id) ?? []),
    referenceMedianMs: median(samples.get(`reference:${f.reference}`) ?? []),
  }));
}
