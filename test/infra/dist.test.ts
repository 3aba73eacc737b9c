/**
 * dist/ is committed (a JavaScript action runs from the repository as it is), so it must be
 * what `npm run build` makes of the sources now: rebuild into a temporary directory and
 * compare byte for byte. A failure here means: run `npm run build` and commit dist/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCli, CLI_FILES } from '../../infra/cli-build.js';

describe('dist/', () => {
  it('holds exactly what npm run build makes of the current sources (run npm run build if not)', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'dist-'));
    await buildCli(fresh);
    for (const file of CLI_FILES) {
      const built = readFileSync(join(fresh, file));
      const committed = readFileSync(join('dist', file));
      expect(committed.equals(built), `dist/${file} is stale: run npm run build and commit dist/`).toBe(true);
    }
  });

  it('builds deterministically: two builds give the same bytes', async () => {
    const [a, b] = [mkdtempSync(join(tmpdir(), 'dist-a-')), mkdtempSync(join(tmpdir(), 'dist-b-'))];
    await buildCli(a);
    await buildCli(b);
    for (const file of CLI_FILES) expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file)))).toBe(true);
  });

  it('runs --help with plain node, without node_modules (everything is inside)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-alone-'));
    const copy = join(dir, 'platform-rollback.mjs');
    execFileSync('cp', ['dist/platform-rollback.mjs', copy]);
    const help = execFileSync(process.execPath, [copy, '--help'], { cwd: dir, encoding: 'utf8' });
    expect(help).toContain('Usage: platform-rollback <command> [options]');
    expect(help).toContain('rollback          roll back an environment');
  });

  it('signs with the SDK it carries (embedded, loaded on first use), from a copy without node_modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-sign-'));
    const copy = join(dir, 'platform-rollback.mjs');
    execFileSync('cp', ['dist/platform-rollback.mjs', copy]);
    const seen: (string | undefined)[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ items: [], nextCursor: null }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const env = { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };
      const args = [copy, 'history', '-e', 'prod', '--sign', '--region', 'eu-west-1'];
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [...args, '--api-url', `http://127.0.0.1:${port}`],
          { cwd: dir, env },
          (error, out) => (error ? reject(error) : resolve(out)),
        ),
      );
      expect(stdout).toMatch(/no deployments in prod/i);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
      );
    } finally {
      server.close();
    }
  });

  it('the command is executable, and starts with a node shebang', () => {
    expect(statSync('dist/platform-rollback.mjs').mode & 0o111).not.toBe(0);
    expect(readFileSync('dist/platform-rollback.mjs', 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
