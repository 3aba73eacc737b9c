/**
 * Cold first call: what a pipeline's call to a cold function costs before it is answered. A
 * fresh Node.js process imports a route's built bundle and handles one request against
 * DynamoDB Local; its reference, in a fresh process too, imports a bundle that only creates
 * the same AWS SDK clients and sends the very DynamoDB requests that call made. The difference
 * is what our code, zod and Powertools add to a cold start, the part the SDK does not.
 *
 * Every route of functions/routes.ts is measured (and the fallback): routes with a tailored
 * call in bench/latency.ts use it, any other gets a generic one, so a new route shows up here
 * without a change to the bench.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { HttpEvent, HttpHandler } from '../functions/lib/http.js';
import { FALLBACK, ROUTES } from '../functions/routes.js';
import { esbuildOptions } from '../infra/bundling.js';
import { type Bundle, clientLines } from './bundles.js';
import {
  answeredAsExpected,
  type Case,
  type Command,
  cases,
  type LatencyFixtures,
  recorder,
  retarget,
} from './latency.js';
import { OUT, ROOT } from './lib/paths.js';
import { median } from './lib/stats.js';

export interface ColdCall {
  id: string;
  runs: number;
  /** DynamoDB requests the first call makes (the reference sends the same). */
  requests: number;
  /** Import + first call, as deployed (no --enable-source-maps). */
  medianMs: number;
  importMs: number;
  callMs: number;
  /** The same with NODE_OPTIONS=--enable-source-maps, as the functions were deployed before. */
  sourceMapsMedianMs: number;
  referenceMedianMs: number;
  referenceImportMs: number;
  referenceCallMs: number;
}

/** Runs in the fresh process: imports the bundle, handles one event, prints the two times. */
const FUNCTION_PROBE = [
  'const t0 = performance.now();',
  'const { handler } = await import(process.argv[1]);',
  'const t1 = performance.now();',
  'const result = await handler(JSON.parse(process.env.BENCH_EVENT));',
  'const t2 = performance.now();',
  'process.stdout.write(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, status: result.statusCode }));',
].join(' ');

/** Runs in the fresh process: imports the reference, sends the recorded requests, prints the two times. */
const REFERENCE_PROBE = [
  'const t0 = performance.now();',
  'const { send } = await import(process.argv[1]);',
  'const t1 = performance.now();',
  'for (const c of JSON.parse(process.env.BENCH_COMMANDS)) await send(c.name, c.input).catch(() => {});',
  'const t2 = performance.now();',
  'process.stdout.write(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, status: 0 }));',
].join(' ');

interface Sample {
  importMs: number;
  callMs: number;
  status: number;
}

function probe(code: string, file: string, env: NodeJS.ProcessEnv, flags: readonly string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', code, pathToFileURL(file).href], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out) as Sample);
      } catch (error) {
        reject(new Error(`cold call of ${file} failed (${(error as Error).message}): ${err.slice(0, 500)}`));
      }
    });
  });
}

/**
 * The reference bundle of one route: the SDK clients its bundle holds, created as our adapter
 * creates them (region and endpoint from the environment, the same marshalling options), and
 * the document-client commands its first call sends, nothing else. Built with the deployed
 * settings.
 */
async function buildReference(id: string, clients: string[], commands: string[]): Promise<string> {
  const dir = join(OUT, 'cold', id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dynamo = clients.includes('@aws-sdk/client-dynamodb') || clients.includes('@aws-sdk/lib-dynamodb');
  const lines = [
    ...clientLines(clients),
    ...(dynamo
      ? [
          `import { ${commands.join(', ')} } from '@aws-sdk/lib-dynamodb';`,
          `const COMMANDS = { ${commands.join(', ')} };`,
          'export const send = (name, input) => documents.send(new COMMANDS[name](input));',
        ]
      : ['export const send = async () => {};']),
  ];
  await build({
    stdin: { contents: lines.join('\n'), resolveDir: ROOT, loader: 'js', sourcefile: `cold-reference-${id}.js` },
    ...esbuildOptions(),
    outdir: dir,
  });
  return join(dir, 'index.mjs');
}

/** Pairs that aim the template call's requests at run `index`'s own records (see latency.ts). */
function pairsFor(c: Case, template: number, index: number, body: string): [string, string][] {
  const from = c.substitutions?.(template, body) ?? [];
  const to = c.substitutions?.(index, body) ?? [];
  return from.map(([value], k) => [value, to[k]?.[1] ?? value]);
}

/**
 * `runs` rounds; each round runs, for every route, its function as deployed, its function with
 * --enable-source-maps, and its reference, one process at a time in an order that rotates from
 * round to round, so a busy phase of the machine hits all of them alike. Call indexes
 * `firstIndex`, `firstIndex + 1`, ... of the latency fixtures are used (one template call in
 * this process to record the requests, then one per run), so records written by one run are
 * never written again. The caller sets TABLE_NAME and DYNAMODB_ENDPOINT, as for measureLatency.
 */
export async function measureColdCalls(
  fixtures: LatencyFixtures,
  bundles: readonly (Bundle & { reference: string })[],
  options: { runs: number; firstIndex: number; env: NodeJS.ProcessEnv },
): Promise<ColdCall[]> {
  const entries = new Map([...ROUTES, FALLBACK].map((r) => [r.id, r.entry]));
  const template = options.firstIndex;
  const plans: {
    c: Case;
    bundle: Bundle;
    reference: string;
    requests: number;
    run: (i: number) => { event: HttpEvent; commands: { name: string; input: unknown }[] };
  }[] = [];
  const { state, restore } = recorder();
  try {
    for (const c of cases(fixtures)) {
      const entry = entries.get(c.route);
      const bundle = bundles.find((b) => b.id === c.route);
      if (!entry || !bundle) throw new Error(`no route or bundle ${c.route}`);
      const { handler } = (await import(pathToFileURL(join(ROOT, entry)).href)) as { handler: HttpHandler };
      const sent: Command[] = [];
      state.recording = sent;
      const result = await handler(c.event(template));
      state.recording = undefined;
      if (!answeredAsExpected(c, result.statusCode)) {
        throw new Error(`${c.route} answered ${result.statusCode}: ${result.body}`);
      }
      const names = [...new Set(sent.map((s) => s.constructor.name))];
      const reference = await buildReference(c.route, bundle.clients, names);
      const body = result.body ?? '{}';
      plans.push({
        c,
        bundle,
        reference,
        requests: sent.length,
        run: (i) => {
          const index = template + 1 + i;
          const pairs = pairsFor(c, template, index, body);
          return {
            event: c.event(index),
            commands: sent.map((s) => ({ name: s.constructor.name, input: retarget(s, pairs) })),
          };
        },
      });
    }
  } finally {
    restore();
  }

  type Kind = 'function' | 'sourceMaps' | 'reference';
  const samples = new Map<string, Sample[]>();
  const add = (key: string, sample: Sample) => samples.set(key, [...(samples.get(key) ?? []), sample]);
  const jobs = plans.flatMap((p) => (['function', 'sourceMaps', 'reference'] as Kind[]).map((kind) => ({ p, kind })));
  // One discarded pass warms the file system cache for every bundle.
  const runOne = async ({ p, kind }: (typeof jobs)[number], i: number) => {
    const { event, commands } = p.run(i);
    const env = { ...options.env, BENCH_EVENT: JSON.stringify(event), BENCH_COMMANDS: JSON.stringify(commands) };
    if (kind === 'reference') return probe(REFERENCE_PROBE, p.reference, env, []);
    const sample = await probe(
      FUNCTION_PROBE,
      p.bundle.file,
      env,
      kind === 'sourceMaps' ? ['--enable-source-maps'] : [],
    );
    if (!answeredAsExpected(p.c, sample.status))
      throw new Error(`${p.c.route} answered ${sample.status} in a cold call`);
    return sample;
  };
  let call = 0;
  for (const job of jobs.filter((j) => j.kind === 'function')) await runOne(job, call);
  for (const job of jobs.filter((j) => j.kind === 'reference')) await runOne(job, call);
  call++;
  for (let round = 0; round < options.runs; round++) {
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[(k + round) % jobs.length] as (typeof jobs)[number];
      // Every process gets its own records: a write is never aimed at a record written before.
      add(`${job.p.c.route}:${job.kind}`, await runOne(job, call++));
    }
  }
  const total = (s: Sample) => s.importMs + s.callMs;
  const of = (route: string, kind: Kind) => samples.get(`${route}:${kind}`) ?? [];
  return plans.map(({ c, requests }) => ({
    id: c.route,
    runs: options.runs,
    requests,
    medianMs: median(of(c.route, 'function').map(total)),
    importMs: median(of(c.route, 'function').map((s) => s.importMs)),
    callMs: median(of(c.route, 'function').map((s) => s.callMs)),
    sourceMapsMedianMs: median(of(c.route, 'sourceMaps').map(total)),
    referenceMedianMs: median(of(c.route, 'reference').map(total)),
    referenceImportMs: median(of(c.route, 'reference').map((s) => s.importMs)),
    referenceCallMs: median(of(c.route, 'reference').map((s) => s.callMs)),
  }));
}
