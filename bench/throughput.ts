/**
 * Local API throughput: the service as `npm start` runs it (infra/local/start.ts, i.e.
 * startLocalStack(): DynamoDB Local plus the local API server), in its own process, loaded by
 * autocannon from this one. It measures the local stack on this machine, not Lambda: useful to
 * compare runs and to catch a regression, not as a prediction of AWS throughput.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { BASE_PATH } from '../functions/routes.js';
import { freePort } from '../infra/local/dynamodb-local.js';
import { SAMPLE_RECORD } from './events.js';
import { ROOT } from './lib/paths.js';

/** What is loaded: history reads, record writes into one environment, or spread over SPREAD environments. */
export type Workload = 'history read' | 'record write, one environment' | `record write, ${number} environments`;

/** How many environments the spread writes go to, round robin. */
export const SPREAD = 50;

export interface Throughput {
  workload: Workload;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

const RECORD = { environment: 'bench', ...SAMPLE_RECORD };

/** Starts `npm start`'s entry point on a free 127.0.0.1 port and waits until it serves. */
async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1', POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not serve within 60 s: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const found = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}): ${output}`));
    });
  });
  return { url, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function load(url: string, connections: number, seconds: number, environments: number) {
  let sent = 0;
  const result = await autocannon({
    url: environments ? `${url}${BASE_PATH}` : `${url}${BASE_PATH}/history?environment=bench&limit=20`,
    connections,
    duration: seconds,
    ...(environments
      ? {
          method: 'POST' as const,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(RECORD),
          // One environment: every write contends for the same environment item; spread: round robin.
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: JSON.stringify({
                  ...RECORD,
                  environment: environments === 1 ? 'bench' : `bench-${sent++ % environments}`,
                }),
              }),
            },
          ],
        }
      : {}),
  });
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/**
 * History reads, then record writes into one environment (the one read), then record writes
 * spread round robin over SPREAD environments, at each number of connections, `seconds` each.
 */
export async function measureThroughput(connections: number[], seconds: number): Promise<Throughput[]> {
  const { url, child } = await startServer();
  try {
    // A history worth reading: 100 records, so a page of 20 is a full one.
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`${url}${BASE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...RECORD, imageTag: `v1.${i}.0` }),
      });
      if (response.status !== 201) throw new Error(`seeding the local API failed: ${response.status}`);
    }
    const results: Throughput[] = [];
    const workloads: [Workload, number][] = [
      ['history read', 0],
      ['record write, one environment', 1],
      [`record write, ${SPREAD} environments`, SPREAD],
    ];
    for (const [workload, environments] of workloads) {
      for (const n of connections) {
        const figures = await load(url, n, seconds, environments);
        results.push({ workload, connections: n, seconds, ...figures });
      }
    }
    return results;
  } finally {
    await stopServer(child);
  }
}
