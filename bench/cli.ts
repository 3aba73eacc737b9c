/**
 * The rollback command as pipelines run it: the built one-file dist/platform-rollback.mjs
 * (`npm run build`) with plain `node`. `--help` is the command's own start-up cost; `plan`
 * against local mode is compared with a plain `node` script that makes the very HTTP requests
 * the plan made (recorded from one plan run), so the difference is what the command adds:
 * loading its code, parsing flags, the checks' logic, the report.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { ROOT } from './lib/paths.js';
import { median } from './lib/stats.js';

export interface CliTimes {
  runs: number;
  /** `node -e 0`: what any Node.js command pays to start, for context. */
  nodeMs: number;
  helpMs: number;
  planMs: number;
  /** The same HTTP requests from a plain node script. */
  plainMs: number;
  requests: number;
}

export const CLI_FILE = join(ROOT, 'dist', 'platform-rollback.mjs');

/** Wall time of one process, from spawn to exit; rejects on a non-zero exit. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ').slice(0, 80)} exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

/** Sends the given requests one after the other, as the plan does, and reads each body. */
const PLAIN_SCRIPT = [
  'for (const r of JSON.parse(process.env.BENCH_REQUESTS)) {',
  '  const response = await fetch(r.url, { method: r.method, headers: r.headers });',
  '  await response.text();',
  '}',
].join(' ');

/**
 * Times `--help`, `plan` (against `apiUrl`, environment `environment`) and the plain script,
 * `runs` times each, interleaved. Needs dist/ built (`npm run build`).
 */
export async function measureCli(apiUrl: string, environment: string, runs: number): Promise<CliTimes> {
  if (!existsSync(CLI_FILE)) throw new Error('dist/platform-rollback.mjs is missing: run npm run build');
  // Record the requests one plan makes.
  const requests: { method: string; url: string; headers: Record<string, string> }[] = [];
  const recording: typeof fetch = (input, init) => {
    requests.push({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
    });
    return fetch(input, init);
  };
  const quiet = { write: () => true };
  const code = await main(['plan', '-e', environment, '--api-url', apiUrl, '--json'], {
    stdout: quiet,
    stderr: quiet,
    fetch: recording,
    confirm: undefined,
  });
  if (code !== 0) throw new Error(`the plan to measure exits ${code}`);

  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', BENCH_REQUESTS: JSON.stringify(requests) };
  const jobs = {
    node: ['-e', '0'],
    help: [CLI_FILE, '--help'],
    plan: [CLI_FILE, 'plan', '-e', environment, '--api-url', apiUrl, '--json'],
    plain: ['--input-type=module', '-e', PLAIN_SCRIPT],
  };
  const samples: Record<keyof typeof jobs, number[]> = { node: [], help: [], plan: [], plain: [] };
  const names = Object.keys(jobs) as (keyof typeof jobs)[];
  for (const name of names) await timed(jobs[name], env); // warm the file system cache
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length] as keyof typeof jobs;
      samples[name].push(await timed(jobs[name], env));
    }
  }
  return {
    runs,
    nodeMs: median(samples.node),
    helpMs: median(samples.help),
    planMs: median(samples.plan),
    plainMs: median(samples.plain),
    requests: requests.length,
  };
}
