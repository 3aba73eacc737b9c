import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { BASE } from '../support/http.js';
import { answerOf, assertDocumented, OPENAPI } from '../support/openapi.js';

const run = promisify(execFile);

/** Java processes running DynamoDB Local on `port` (other test runs may have their own). */
function emulatorsOn(port: string): string[] {
  try {
    const lines = execFileSync('pgrep', ['-af', 'DynamoDBLocal.jar'], { encoding: 'utf8' }).trim().split('\n');
    return lines.filter((line) => line.split(' ')[1] === 'java' && line.endsWith(`-port ${port}`));
  } catch {
    return [];
  }
}

describe('npm start', () => {
  it('serves the API on PORT, prints the routes, and Ctrl-C leaves no emulator behind', async () => {
    const port = await freePort();
    const localDir = mkdtempSync(join(tmpdir(), 'local-mode-'));
    const child = spawn('npm', ['start', '--silent'], {
      // Its own LOCAL_DIR, so a developer's own `npm start` keeps its .local/ files.
      env: { ...process.env, PORT: String(port), LOCAL_DIR: localDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a signal can reach the whole group as Ctrl-C in a terminal does.
      detached: true,
    });
    const group = -(child.pid ?? 0);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const deadline = Date.now() + 45_000;
      while (!output.includes('Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain(`serving on http://127.0.0.1:${port}`);
      expect(output).toContain(`POST   ${BASE}/tag/{imageTag}/rollback`);
      expect(output).not.toMatch(/NodeVersionSupportWarning/);
      const dbPort = /DynamoDB Local: http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1] ?? 'none';
      expect(emulatorsOn(dbPort)).toHaveLength(1);
      // `npm run alarm` finds the running stack through this file.
      expect(JSON.parse(readFileSync(join(localDir, 'local-stack.json'), 'utf8')).url).toBe(`http://127.0.0.1:${port}`);
      // It may hold the run launcher's secret: readable by this user only.
      expect(statSync(join(localDir, 'local-stack.json')).mode & 0o777).toBe(0o600);

      const created = await fetch(`http://127.0.0.1:${port}${BASE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ environment: 'prod', imageTag: 'v1' }),
      });
      expect(created.status).toBe(201);
      assertDocumented(answerOf('POST', BASE, created, await created.text()));
      // The API's own description, as the running code generates it, equals the committed one.
      const described = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      expect(described.status).toBe(200);
      expect(await described.json()).toEqual(OPENAPI);

      // A second `npm start` on the same LOCAL_DIR refuses, naming the first, and leaves its files alone.
      const recorded = readFileSync(join(localDir, 'local-stack.json'), 'utf8');
      const second = await run('npm', ['start', '--silent'], {
        env: { ...process.env, PORT: String(await freePort()), LOCAL_DIR: localDir },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `A local stack already runs (pid ${JSON.parse(recorded).pid}) at http://127.0.0.1:${port}`,
      );
      expect(readFileSync(join(localDir, 'local-stack.json'), 'utf8')).toBe(recorded);

      process.kill(group, 'SIGINT');
      const [code] = await once(child, 'exit');
      expect({ code, output }).toMatchObject({ code: 0 });
      expect(emulatorsOn(dbPort)).toEqual([]);
      expect(existsSync(join(localDir, 'local-stack.json'))).toBe(false);
    } finally {
      if (child.exitCode === null) process.kill(group, 'SIGKILL');
    }
    // Two `npm start`s (the second only to be refused) on a busy machine: well over the default.
  }, 180_000);
});
