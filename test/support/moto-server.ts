/**
 * moto_server, the AWS emulator (Python's `moto` with its server), for every AWS API the
 * service calls except DynamoDB (DynamoDB Local has that): CloudWatch, ECR, ECS, CodePipeline,
 * STS, Secrets Manager, SNS with SQS subscribers, EventBridge (and IAM, which CodePipeline
 * needs for its role). Started on a free port of 127.0.0.1, one per test project
 * (moto-global-setup.ts); each test file names its resources uniquely, so files that share
 * it stay independent.
 *
 * The code under test reaches it only through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables (motoEnv below), so no test-only code path exists in functions/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../infra/local/dynamodb-local.js';

export interface MotoServer {
  endpoint: string;
  port: number;
  /** moto_server's (Python's) process id. */
  pid: number;
  stop(): Promise<void>;
}

/** What to run where moto is missing; said in the error. */
export const MOTO_INSTALL = "pip install 'moto[server]'";

/**
 * The services the tests reach in moto, as the SDK spells them in `AWS_ENDPOINT_URL_<SERVICE>`
 * (the service id, upper case, spaces as underscores).
 */
export const MOTO_SERVICES = [
  'CLOUDWATCH',
  'ECR',
  'ECS',
  'CODEPIPELINE',
  'IAM',
  'STS',
  'SECRETS_MANAGER',
  'SNS',
  'SQS',
  'EVENTBRIDGE',
] as const;

/** The environment that points every SDK client of MOTO_SERVICES at `endpoint`. */
export function motoEnv(endpoint: string): Record<string, string> {
  return Object.fromEntries(MOTO_SERVICES.map((service) => [`AWS_ENDPOINT_URL_${service}`, endpoint]));
}

/**
 * The shell that runs moto_server: it prints moto's pid, then waits for it. A reader on our
 * stdin kills moto when that pipe closes, i.e. when the Node.js process that started it is
 * gone, however it died: no emulator outlives the test run (as infra/local/dynamodb-local.ts
 * does for Java).
 */
const WRAPPER = `exec 3<&0
log=$1; shift
"$@" </dev/null >"$log" 2>&1 & pid=$!
echo "$pid"
{ read _ <&3; kill $pid 2>/dev/null; } & reader=$!
exec 3<&-
trap 'kill $pid 2>/dev/null' INT TERM
wait $pid; status=$?
kill $reader 2>/dev/null
exit $status`;

/** Throws, naming the install command, when `command` is not on PATH. */
export function requireMoto(command = 'moto_server'): void {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' });
  if (found.status !== 0) {
    throw new Error(
      `${command} is not installed: the tests run every AWS API but DynamoDB against moto_server, the AWS emulator. Install it with: ${MOTO_INSTALL}`,
    );
  }
}

/** Starts moto_server on a free port of 127.0.0.1 and waits until it answers. */
export async function startMotoServer(options: { command?: string } = {}): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  requireMoto(command);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'moto-server-'));
  const log = join(dir, 'moto.log');
  const child: ChildProcess = spawn('sh', ['-c', WRAPPER, 'sh', log, command, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const output = () => {
    try {
      return readFileSync(log, 'utf8').slice(-2_000);
    } catch {
      return '';
    }
  };
  let stdout = '';
  const pid = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const line = /^(\d+)\n/.exec(stdout);
      if (line) resolve(Number(line[1]));
    });
    child.once('exit', () => reject(new Error(`moto_server's wrapper exited before starting it: ${output()}`)));
  });
  pid.catch(() => {});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    child.stdin?.end();
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited at start: ${output()}`);
    try {
      const answer = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (answer.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s: ${output()}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return { endpoint, port, pid: await pid, stop };
}
