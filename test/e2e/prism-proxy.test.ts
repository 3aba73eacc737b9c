/**
 * Stoplight Prism, a validating proxy nobody here wrote, in front of local mode: every request the
 * README scenario sends and every answer local mode gives pass through it, and it reports each
 * one that breaks docs/openapi.json (the `sl-violations` header, and its log). The local server's
 * loopback guard stays as it is: Prism is told the upstream by the address local mode answers to
 * (127.0.0.1 and its port), so the Host it sends upstream is the server's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { BASE, localApi } from '../support/http.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRISM = join(ROOT, 'node_modules', '@stoplight', 'prism-cli', 'dist', 'index.js');

let api: Awaited<ReturnType<typeof localApi>>;
let prism: ChildProcess | undefined;
let prismUrl: string;
let log = '';
/** A stand-in for a SigV4 Authorization header (local mode does not read it). */
const SIGNED = 'AWS4-HMAC-SHA256 Credential=local/20261202/eu-west-1/execute-api/aws4_request';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  api = await localApi();
  const port = await freePort();
  prismUrl = `http://127.0.0.1:${port}`;
  prism = spawn(
    process.execPath,
    [PRISM, 'proxy', join(ROOT, 'docs', 'openapi.json'), api.url, '--host', '127.0.0.1', '--port', String(port)],
    { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, stdio: 'pipe' },
  );
  prism.stdout?.on('data', (c) => (log += c));
  prism.stderr?.on('data', (c) => (log += c));
  // Ready when it answers; a proxy that never starts fails the hook with its log.
  for (let i = 0; ; i++) {
    try {
      await fetch(`${prismUrl}${BASE}/environments`, { headers: { authorization: SIGNED } });
      break;
    } catch {
      if (i > 300 || prism.exitCode !== null) throw new Error(`prism did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 120_000);

afterAll(async () => {
  if (prism && prism.exitCode === null) {
    prism.kill();
    await once(prism, 'exit');
  }
  await api?.stop();
});

describe('Prism as a validating proxy in front of local mode', () => {
  it('passes the README scenario with no violation of docs/openapi.json', async () => {
    const violations: string[] = [];
    const seen: string[] = [];
    const viaPrism: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      // The document's security scheme (SigV4 in the Authorization header) is what API Gateway
      // checks; local mode checks nothing and ignores it, so a placeholder satisfies Prism.
      request.headers.set('authorization', SIGNED);
      const response = await fetch(request);
      seen.push(`${request.method} ${new URL(request.url).pathname} ${response.status}`);
      const header = response.headers.get('sl-violations');
      if (header) violations.push(`${request.method} ${request.url}: ${header}`);
      return response;
    };
    const { walkReadme } = (await import(join(ROOT, 'test', 'e2e', 'openapi-client', 'scenario.ts'))) as {
      walkReadme: (baseUrl: string, fetch: typeof globalThis.fetch) => Promise<{ history: Deployment[] }>;
    };
    const { history } = await walkReadme(prismUrl, viaPrism);
    expect(history.map((d) => d.imageTag)).toEqual([
      'v2.2.0-0a1b2c3',
      'v2.0.0-def5678',
      'v2.1.0-abc1234',
      'v2.0.0-def5678',
    ]);
    expect(seen).toHaveLength(12);
    expect(violations).toEqual([]);
    expect(log).not.toMatch(/violation/i);
  });

  it('does report violations, so the silence above means something: limit=1000, and an unsigned request', async () => {
    const tooMany = await fetch(`${prismUrl}${BASE}/history?environment=prod&limit=1000`, {
      headers: { authorization: SIGNED },
    });
    // Passed on (Prism reports, local mode answers the contract's 400) and flagged against `maximum: 100`.
    expect(tooMany.status).toBe(400);
    expect(tooMany.headers.get('sl-violations')).toMatch(/limit.*100|100.*limit/);
    const unsigned = await fetch(`${prismUrl}${BASE}/environments`);
    expect(unsigned.headers.get('sl-violations')).toMatch(/security/i);
  });
});
