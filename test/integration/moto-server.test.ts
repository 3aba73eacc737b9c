import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { alive } from '../../cli/local-stack.js';

/** The harness's promise: no moto_server outlives the process that started it, however it died. */
describe('moto_server started by a test process', () => {
  it('answers while that process lives, and is gone once it is killed with SIGKILL', async () => {
    const script = `
      import { startMotoServer } from './test/support/moto-server.ts';
      const moto = await startMotoServer();
      console.log(JSON.stringify({ pid: moto.pid, endpoint: moto.endpoint }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = await new Promise<{ pid: number; endpoint: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.once('exit', (code) => reject(new Error(`the test process exited (${code}) before moto answered`)));
    });
    expect((await fetch(`${started.endpoint}/moto-api/`)).ok).toBe(true);
    expect(alive(started.pid)).toBe(true);

    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(started.pid) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    expect(alive(started.pid)).toBe(false);
  });
});
