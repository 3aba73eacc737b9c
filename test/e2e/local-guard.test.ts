/**
 * `npm start`'s server next to a browser: what a hostile web page can send to 127.0.0.1 (a
 * cross-origin write, bodiless or not; a DNS-rebinding page's own Host) is refused with
 * nothing changed, while curl, the CLI and scripts (no Origin) keep the contract, and the
 * page the server serves can still roll back.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../web/assets.js';
import { BASE, localApi } from '../support/http.js';
import { rawRequest } from '../support/raw-http.js';

let api: Awaited<ReturnType<typeof localApi>>;
let port: string;
let origin: string;

beforeAll(async () => {
  api = await localApi();
  origin = api.url;
  port = new URL(api.url).port;
});
afterAll(async () => api?.stop());

/** A raw request, its body parsed where it is JSON. */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const answer = await rawRequest(port, method, path, headers, body);
  let parsed: unknown = answer.text;
  try {
    parsed = JSON.parse(answer.text);
  } catch {}
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
  return { status: answer.status, headers: answer.headers, body: parsed as any };
}

async function deploy(environment: string, imageTag: string) {
  const created = await api.call('POST', BASE, { environment, imageTag });
  expect(created.status).toBe(201);
  return created.body as { id: string };
}

const statusOf = async (id: string) => (await api.call('GET', `${BASE}/${id}`)).body.status as string;

describe('local mode refuses what a web page elsewhere sends', () => {
  it('cross-origin rollbacks (bodiless, text/plain, JSON, Sec-Fetch-Site: cross-site, Origin: null): 403, nothing changed', async () => {
    await deploy('prod', 'v1.0.0');
    const current = await deploy('prod', 'v2.0.0');
    const path = `${BASE}/tag/v2.0.0/rollback?environment=prod`;
    const json = JSON.stringify({ environment: 'prod', reason: 'from a page' });
    const attempts: [string, Record<string, string>, string | undefined][] = [
      ['bodiless, no content type', { origin: 'http://evil.example' }, undefined],
      ['text/plain', { origin: 'http://evil.example', 'content-type': 'text/plain' }, json],
      ['JSON', { origin: 'http://evil.example', 'content-type': 'application/json' }, json],
      ['another port of this machine', { origin: 'http://127.0.0.1:1', 'content-type': 'application/json' }, json],
      ['Sec-Fetch-Site only', { 'sec-fetch-site': 'cross-site' }, undefined],
      ['same-site', { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, json],
      ['a sandboxed frame', { origin: 'null' }, undefined],
    ];
    for (const [what, headers, body] of attempts) {
      const answer = await send('POST', path, headers, body);
      expect({ what, status: answer.status }).toEqual({ what, status: 403 });
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.body.title).toBe('Cross-origin request');
    }
    // Recording is a write too.
    const record = await send(
      'POST',
      BASE,
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      JSON.stringify({ environment: 'prod', imageTag: 'v6.6.6' }),
    );
    expect(record.status).toBe(403);
    expect(await statusOf(current.id)).toBe('DEPLOYED');
    const history = await api.call('GET', `${BASE}/history?environment=prod`);
    expect(history.body.items.map((r: { imageTag: string }) => r.imageTag)).toEqual(['v2.0.0', 'v1.0.0']);
  });

  it('a DNS-rebinding page (its own Host): 403 for the page, reads and writes alike', async () => {
    const current = await deploy('rebind', 'v2.0.0');
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', `${BASE}/environments`],
      ['GET', `${BASE}/history?environment=rebind`],
      ['GET', '/_console/config'],
      ['GET', '/_local/notifications'],
      ['POST', `${BASE}/tag/v2.0.0/rollback?environment=rebind`],
    ] as const) {
      const answer = await send(method, path, { host: `rebind.evil.example:${port}` });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 403 });
      expect(answer.body.title).toBe('Forbidden host');
      expect(JSON.stringify(answer.body)).not.toContain('v2.0.0');
    }
    expect(await statusOf(current.id)).toBe('DEPLOYED');
  });

  it("the page's own origin without the launch token (401), or not as JSON (415)", async () => {
    const current = await deploy('token', 'v2.0.0');
    const path = `${BASE}/tag/v2.0.0/rollback?environment=token`;
    const noToken = await send('POST', path, { origin, 'content-type': 'application/json' }, '{}');
    expect(noToken.status).toBe(401);
    const wrong = await send(
      'POST',
      path,
      { origin, 'content-type': 'application/json', cookie: `platform_rollback_${port}=guess` },
      '{}',
    );
    expect(wrong.status).toBe(401);
    const cookie = (await send('GET', '/')).headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    const form = await send('POST', path, { origin, 'content-type': 'text/plain', cookie }, '{}');
    expect(form.status).toBe(415);
    expect(await statusOf(current.id)).toBe('DEPLOYED');
  });
});

describe('local mode keeps working for', () => {
  it('curl, the CLI and scripts (no Origin): a bodiless rollback with no content type, and a record', async () => {
    const current = await deploy('curl', 'v2.0.0');
    await deploy('other', 'v1.0.0');
    const rolledBack = await send('POST', `${BASE}/tag/v2.0.0/rollback?environment=curl`);
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body).toMatchObject({ id: current.id, status: 'ROLLED_BACK', rolledBackBy: 'local' });
    // Any of the three names of this machine's loopback.
    for (const host of [`localhost:${port}`, `[::1]:${port}`]) {
      const read = await send('GET', `${BASE}/history?environment=curl`, { host });
      expect(read.status, host).toBe(200);
    }
  });

  it('the page it serves: given the token as an HttpOnly SameSite=Strict cookie, it rolls back', async () => {
    const current = await deploy('page', 'v2.0.0');
    const page = await send('GET', '/');
    expect(page.status).toBe(200);
    const [cookie] = page.headers['set-cookie'] ?? [];
    expect(cookie).toMatch(new RegExp(`^platform_rollback_${port}=[\\w-]{43}; HttpOnly; SameSite=Strict; Path=/$`));
    const answer = await send(
      'POST',
      `${BASE}/tag/v2.0.0/rollback`,
      {
        origin,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
        cookie: cookie?.split(';')[0] ?? '',
      },
      JSON.stringify({ environment: 'page', reason: 'from the console' }),
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: current.id, status: 'ROLLED_BACK', rollbackReason: 'from the console' });
  });

  it('every answer with the console CSP and security headers, none with a CORS header', async () => {
    for (const path of ['/', `${BASE}/environments`, `${BASE}/nope`, '/openapi.json']) {
      const answer = await send('GET', path);
      expect(answer.headers['content-security-policy'], path).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers['x-frame-options'], path).toBe('DENY');
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
      expect(answer.headers, path).not.toHaveProperty('access-control-allow-origin');
    }
    const preflight = await send('OPTIONS', `${BASE}/tag/v1/rollback`, {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
  });
});

describe('a pipelined request the server cannot parse', () => {
  it('comes after the answer to the valid POST before it, which the client reads in full', async () => {
    const body = JSON.stringify({ environment: 'pipelined', imageTag: 'v1.0.0' });
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `POST ${BASE} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}XYZ\r\n\r\n`,
      );
    });
    const at = raw.indexOf('HTTP/1.1 400 Bad Request\r\n');
    expect(at).toBeGreaterThan(0);
    const [first, second] = [raw.slice(0, at), raw.slice(at)];
    expect(first.startsWith('HTTP/1.1 201 Created\r\n')).toBe(true);
    expect(first).toContain('"imageTag":"v1.0.0"');
    expect(second).toContain('application/problem+json');
    const id = /"id":"([0-9A-Z]{26})"/.exec(first)?.[1];
    const history = await api.call('GET', `${BASE}/history?environment=pipelined`);
    expect(history.body.items.map((r: { id: string }) => r.id)).toEqual([id]);
  });
});
