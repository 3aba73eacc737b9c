import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';

/** `npm start` as a user runs it, with its own LOCAL_DIR; output collected. */
function npmStart(args: string[] = []) {
  const localDir = mkdtempSync(join(tmpdir(), 'local-proc-'));
  const child = spawn('npm', ['start', '--silent', ...(args.length ? ['--', ...args] : [])], {
    env: { ...process.env, LOCAL_DIR: localDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, output: '' };
  child.stdout?.on('data', (chunk) => {
    run.output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    run.output += chunk;
  });
  started.push(child);
  return run;
}
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGINT');
});

async function until(check: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return check();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids `npm start` prints: this service's Node.js process and DynamoDB Local's Java. */
function pids(output: string) {
  const node = Number(/serving on \S+ \(pid (\d+)\)/.exec(output)?.[1]);
  const java = Number(/DynamoDB Local: \S+ \(pid (\d+),/.exec(output)?.[1]);
  return { node, java };
}

describe('npm start and its processes', () => {
  it('says once that DynamoDB Local died and exits 1', async () => {
    const port = await freePort();
    const run = npmStart(['--port', String(port)]);
    expect(await until(() => run.output.includes('Ctrl-C'), 60_000)).toBe(true);
    const { java } = pids(run.output);
    expect(alive(java)).toBe(true);
    process.kill(java, 'SIGKILL');
    const [code] = await once(run.child, 'exit');
    expect(code).toBe(1);
    expect(run.output.match(/DynamoDB Local \(pid \d+\) exited unexpectedly/g)).toHaveLength(1);
    expect(run.output).not.toMatch(/\n\s+at /); // no stack trace
  }, 120_000);

  it('locks the data folder: a second start on it fails naming the first; a SIGKILLed npm leaves no survivor', async () => {
    const data = mkdtempSync(join(tmpdir(), 'local-data-'));
    const first = npmStart(['--port', String(await freePort()), '--data', data]);
    expect(await until(() => first.output.includes('Ctrl-C'), 60_000)).toBe(true);
    const { node, java } = pids(first.output);

    const second = npmStart(['--port', String(await freePort()), '--data', data]);
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(1);
    expect(second.output).toContain(`The data folder ${data} is in use by process ${node}`);
    expect(second.output).not.toContain('serving on');

    // kill -9 on npm reaches no one else: the service and the emulator must notice and go.
    first.child.kill('SIGKILL');
    expect(await until(() => !alive(node) && !alive(java), 20_000)).toBe(true);

    // The lock died with its holder: the folder is free again.
    const third = npmStart(['--port', String(await freePort()), '--data', data]);
    expect(await until(() => third.output.includes('Ctrl-C'), 60_000)).toBe(true);
    // npm itself answers a SIGINT sent to it alone with 130; the service behind it stops.
    third.child.kill('SIGINT');
    await once(third.child, 'exit');
    const { node: thirdNode } = pids(third.output);
    expect(await until(() => !alive(thirdNode), 20_000)).toBe(true);
  }, 240_000);
});
