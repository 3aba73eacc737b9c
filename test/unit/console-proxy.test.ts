import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ConsoleProxy, startConsoleProxy } from '../../cli/console/proxy.js';
import { CONTENT_SECURITY_POLICY } from '../../web/assets.js';
import { rawRequest } from '../support/raw-http.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};
const DATE = new Date('2026-11-27T10:00:00.000Z');
const TOKEN = 'launch-token-0123456789abcdef0123456789abcdef';
const BASE = '/api/v1/platform/deployments';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The "deployed API": records what reaches it and answers like a careless server (CORS, cookies). */
let upstream: Server;
let upstreamOrigin: string;
const seen: Seen[] = [];

let readOnly: ConsoleProxy;
let writable: ConsoleProxy;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'set-cookie': 'upstream=1',
    });
    res.end('{"items":[],"nextCursor":null}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  upstreamOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const common = {
    apiUrl: `${upstreamOrigin}/prod`,
    port: 0,
    sign: { region: 'eu-west-1', credentials: CREDENTIALS },
    token: TOKEN,
    now: () => DATE,
  } as const;
  readOnly = await startConsoleProxy({ ...common, allowRollback: false });
  writable = await startConsoleProxy({ ...common, allowRollback: true });
});
afterAll(async () => {
  await readOnly?.close();
  await writable?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

/** A raw request to `proxy` (fetch would not let a test set Host or Origin). */
async function send(
  proxy: ConsoleProxy,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const { status, headers: answered, text } = await rawRequest(new URL(proxy.origin).port, method, path, headers, body);
  return { status, headers: answered, body: text };
}

/** The token cookie of `proxy` (named for its port). */
const tokenOf = (proxy: ConsoleProxy) => ({ cookie: `${proxy.cookieName}=${TOKEN}` });
const sameOriginJson = (proxy: ConsoleProxy) => ({
  ...tokenOf(proxy),
  origin: proxy.origin,
  'sec-fetch-site': 'same-origin',
  'content-type': 'application/json',
});

describe('the console proxy refuses', () => {
  it('a foreign Host (DNS rebinding), even with the token', async () => {
    const answer = await send(readOnly, 'GET', `${BASE}/history?environment=prod`, {
      ...tokenOf(readOnly),
      host: 'attacker.example:8431',
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(seen).toHaveLength(0);
  });

  it('a request without the token, or with a wrong one', async () => {
    expect((await send(readOnly, 'GET', `${BASE}/history?environment=prod`)).status).toBe(401);
    expect((await send(readOnly, 'GET', '/')).status).toBe(401);
    expect((await send(readOnly, 'GET', '/?token=guess')).status).toBe(401);
    const wrongCookie = await send(readOnly, 'GET', `${BASE}/history?environment=prod`, {
      cookie: `${readOnly.cookieName}=${TOKEN.slice(0, -1)}x`,
    });
    expect(wrongCookie.status).toBe(401);
    expect(seen).toHaveLength(0);
  });

  it('a cross-origin write, a write without Origin or Sec-Fetch-Site, and a write that is not JSON', async () => {
    const path = `${BASE}/tag/v2.1.0-abc1234/rollback`;
    const body = JSON.stringify({ environment: 'prod', reason: 'x' });
    const json = sameOriginJson(writable);
    const crossOrigin = await send(writable, 'POST', path, { ...json, origin: 'https://evil.example' }, body);
    expect(crossOrigin.status).toBe(403);
    const crossSite = await send(writable, 'POST', path, { ...json, 'sec-fetch-site': 'cross-site' }, body);
    expect(crossSite.status).toBe(403);
    const { origin: _o, 'sec-fetch-site': _s, ...bare } = json;
    expect((await send(writable, 'POST', path, bare, body)).status).toBe(403);
    const form = await send(writable, 'POST', path, { ...json, 'content-type': 'text/plain' }, body);
    expect(form.status).toBe(415);
    expect(seen).toHaveLength(0);
  });

  it('a route outside the contract, and a path outside the API', async () => {
    for (const path of [`${BASE}/tag/x/y/z`, '/api/v1/other', '/admin', `${BASE}/history/../../../../admin`]) {
      const answer = await send(readOnly, 'GET', path, tokenOf(readOnly));
      expect(answer.status, path).toBe(404);
    }
    expect(seen).toHaveLength(0);
  });

  it('a rollback when read-only, and any write but a rollback even when rollbacks are allowed', async () => {
    const body = JSON.stringify({ environment: 'prod', reason: 'x' });
    const rollback = await send(
      readOnly,
      'POST',
      `${BASE}/tag/v2.1.0-abc1234/rollback`,
      sameOriginJson(readOnly),
      body,
    );
    expect(rollback.status).toBe(403);
    const record = await send(
      writable,
      'POST',
      BASE,
      sameOriginJson(writable),
      JSON.stringify({ environment: 'prod', imageTag: 'v9' }),
    );
    expect(record.status).toBe(403);
    const finish = await send(writable, 'PATCH', `${BASE}/01JDQ5T2M8W3K9Z4X7V6B1N0CE`, sameOriginJson(writable), '{}');
    expect(finish.status).toBe(403);
    expect(seen).toHaveLength(0);
  });
});

describe('the console proxy serves', () => {
  it('turns the printed URL into an HttpOnly SameSite=Strict cookie and drops the token from the address', async () => {
    expect(readOnly.loginUrl).toBe(`${readOnly.origin}/?token=${TOKEN}`);
    const login = await send(readOnly, 'GET', `/?token=${TOKEN}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const [cookie] = login.headers['set-cookie'] ?? [];
    expect(cookie).toBe(`${readOnly.cookieName}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
    expect(readOnly.cookieName).toBe(`platform_rollback_${new URL(readOnly.origin).port}`);
  });

  it('the page with a CSP and no CORS header, and a config that says whether rollbacks are allowed', async () => {
    const page = await send(readOnly, 'GET', '/', tokenOf(readOnly));
    expect(page.status).toBe(200);
    expect(page.body).toContain('<rollback-console>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers).not.toHaveProperty('access-control-allow-origin');
    const script = await send(readOnly, 'GET', '/_console/app.js', tokenOf(readOnly));
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(JSON.parse((await send(readOnly, 'GET', '/_console/config', tokenOf(readOnly))).body)).toMatchObject({
      allowRollback: false,
      mode: 'proxy',
    });
    const writableConfig = await send(writable, 'GET', '/_console/config', tokenOf(writable));
    expect(JSON.parse(writableConfig.body).allowRollback).toBe(true);
  });

  it("forwards a read to the configured API's stage, signed exactly as the SDK's SignatureV4 signs it", async () => {
    const answer = await send(readOnly, 'GET', `${BASE}/history?environment=prod&limit=5`, {
      ...tokenOf(readOnly),
      accept: 'application/json',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers).not.toHaveProperty('access-control-allow-origin');
    expect(answer.headers).not.toHaveProperty('set-cookie');
    expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(seen).toHaveLength(1);
    const got = seen[0] as Seen;
    expect(got.url).toBe(`/prod${BASE}/history?environment=prod&limit=5`);
    // The browser's cookie (the token) never leaves the machine.
    expect(got.headers).not.toHaveProperty('cookie');
    const upstreamHost = new URL(upstreamOrigin).host;
    const sdk = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      sha256: Sha256,
    });
    const expected = await sdk.sign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: Number(new URL(upstreamOrigin).port),
        path: `/prod${BASE}/history`,
        query: { environment: 'prod', limit: '5' },
        headers: { host: upstreamHost, accept: 'application/json' },
      }),
      { signingDate: DATE },
    );
    expect(got.headers.authorization).toBe(expected.headers.authorization);
    expect(got.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
  });

  it('forwards a same-origin JSON rollback when allowed, its body signed too', async () => {
    const body = JSON.stringify({ environment: 'prod', reason: '5xx above 2%' });
    const answer = await send(writable, 'POST', `${BASE}/tag/v2.1.0-abc1234/rollback`, sameOriginJson(writable), body);
    expect(answer.status).toBe(200);
    const got = seen[0] as Seen;
    expect(got.method).toBe('POST');
    expect(got.body).toBe(body);
    const sdk = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      sha256: Sha256,
    });
    const expected = await sdk.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: Number(new URL(upstreamOrigin).port),
        path: `/prod${BASE}/tag/v2.1.0-abc1234/rollback`,
        headers: { host: new URL(upstreamOrigin).host, 'content-type': 'application/json' },
        body,
      }),
      { signingDate: DATE },
    );
    expect(got.headers.authorization).toBe(expected.headers.authorization);
  });
});
