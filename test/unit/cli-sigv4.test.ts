import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '../../cli/api-client.js';
import { isLocalUrl, regionFromHost, signRequest } from '../../cli/sigv4.js';
import { freePort } from '../../infra/local/dynamodb-local.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
};
const DATE = new Date('2026-11-27T10:00:00.000Z');
const URL_ = new URL(
  'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api/v1/platform/deployments/history?limit=5&environment=prod',
);

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/** SigV4 by hand (AWS's documented algorithm), as an independent check on the whole construction. */
function signByHand(method: string, url: URL, headers: Record<string, string>, body: string) {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
  const amzDate = headers['x-amz-date'] as string;
  const day = amzDate.slice(0, 8);
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]?.trim()}\n`).join('');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [method, url.pathname, query, canonicalHeaders, names.join(';'), sha(body)].join('\n');
  const scope = `${day}/eu-west-1/execute-api/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  let key = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day);
  for (const part of ['eu-west-1', 'execute-api', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('signRequest (SigV4 for execute-api)', () => {
  it('produces an Authorization header for execute-api with host and x-amz-date signed', async () => {
    const headers = await signRequest(
      { method: 'GET', url: URL_, headers: { accept: 'application/json' } },
      { region: 'eu-west-1', credentials: CREDENTIALS, signingDate: DATE },
    );
    const [, credential, signedHeaders] = AUTH.exec(headers.authorization ?? '') ?? [];
    expect(credential).toBe('AKIDEXAMPLE/20261127/eu-west-1/execute-api/aws4_request');
    expect(signedHeaders?.split(';')).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token']));
    expect(headers['x-amz-date']).toBe('20261127T100000Z');
    expect(headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(headers).not.toHaveProperty('host'); // fetch sets it from the URL
  });

  it("equals what the SDK's own SignatureV4 computes for the same request, date and credentials", async () => {
    const body = JSON.stringify({ environment: 'prod', imageTag: 'v2.0.0-def5678' });
    const url = new URL('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api/v1/platform/deployments');
    const ours = await signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body },
      { region: 'eu-west-1', credentials: CREDENTIALS, signingDate: DATE },
    );
    const sdk = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      sha256: Sha256,
    });
    const theirs = await sdk.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/api/v1/platform/deployments',
        headers: { host: url.hostname, 'content-type': 'application/json', 'idempotency-key': 'k-1' },
        body,
      }),
      { signingDate: DATE },
    );
    expect(ours.authorization).toBe(theirs.headers.authorization);

    // And by hand, from AWS's published algorithm: the signature covers what we think it does.
    const signed = AUTH.exec(ours.authorization ?? '');
    const names = (signed?.[2] ?? '').split(';');
    const all: Record<string, string> = { ...ours, host: url.host };
    const headers = Object.fromEntries(names.map((n) => [n, all[n] ?? '']));
    expect(signed?.[3]).toBe(signByHand('POST', url, headers, body));
  });

  it('signs the query string too: another query is another signature', async () => {
    const sign = (url: URL) =>
      signRequest(
        { method: 'GET', url, headers: {} },
        { region: 'eu-west-1', credentials: CREDENTIALS, signingDate: DATE },
      );
    const other = new URL(URL_);
    other.searchParams.set('environment', 'staging');
    expect((await sign(URL_)).authorization).not.toBe((await sign(other)).authorization);
  });
});

describe('local mode and region', () => {
  it('treats 127.0.0.1 and localhost as local mode (unsigned), anything else as the deployed API', () => {
    expect(isLocalUrl(new URL('http://127.0.0.1:3000'))).toBe(true);
    expect(isLocalUrl(new URL('http://localhost:3000/'))).toBe(true);
    expect(isLocalUrl(new URL('https://api.example.com'))).toBe(false);
  });

  it('reads the region from an execute-api host name', () => {
    expect(regionFromHost('a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(regionFromHost('deployments.example.com')).toBeUndefined();
  });
});

describe('ApiClient over the wire', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(answer.status, { 'content-type': answer.type });
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends a signature the server can verify with the SDK signer from what it received', async () => {
    seen.length = 0;
    answer = { status: 201, type: 'application/json', body: '{"id":"x"}' };
    const api = new ApiClient({ baseUrl: base, sign: true, region: 'eu-west-1', credentials: CREDENTIALS });
    await api.record({ environment: 'prod', imageTag: 'v1' }, 'rollback-a-b');
    const got = seen[0];
    if (!got) throw new Error('no request reached the server');
    const authorization = String(got.headers.authorization);
    const [, , signedHeaders] = AUTH.exec(authorization) ?? [];
    const names = (signedHeaders ?? '').split(';');
    expect(names).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'idempotency-key', 'content-type']));
    const url = new URL(got.url, base);
    const amzDate = String(got.headers['x-amz-date']);
    const date = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const verifier = new SignatureV4({
      service: 'execute-api',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      sha256: Sha256,
    });
    const resigned = await verifier.sign(
      new HttpRequest({
        method: got.method,
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: Object.fromEntries(names.map((n) => [n, String(got.headers[n])])),
        body: got.body,
      }),
      { signingDate: date },
    );
    expect(authorization).toBe(resigned.headers.authorization);
  });

  it('sends no signature in local mode', async () => {
    seen.length = 0;
    answer = { status: 200, type: 'application/json', body: '{"items":[],"nextCursor":null}' };
    await new ApiClient({ baseUrl: base, sign: false }).history('prod');
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.url).toBe('/api/v1/platform/deployments/history?environment=prod');
  });

  it("turns a problem into an ApiError with the problem's title and detail", async () => {
    answer = {
      status: 409,
      type: 'application/problem+json',
      body: JSON.stringify({
        title: 'Status transition not allowed',
        status: 409,
        detail: 'is FAILED',
        currentStatus: 'FAILED',
      }),
    };
    const error = await new ApiClient({ baseUrl: base, sign: false })
      .markRolledBack('v1', { environment: 'prod' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, title: 'Status transition not allowed', detail: 'is FAILED' });
    expect((error as ApiError).problem.currentStatus).toBe('FAILED');
  });

  it("reads API Gateway's own { message } answers (e.g. a missing IAM permission)", async () => {
    answer = { status: 403, type: 'application/json', body: '{"message":"Forbidden"}' };
    const error = await new ApiClient({ baseUrl: base, sign: false }).history('prod').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, title: 'HTTP 403 Forbidden', detail: 'Forbidden' });
  });

  it('reports an API it cannot reach as status 0, naming the URL', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const error = await new ApiClient({ baseUrl: nobody, sign: false }).history('prod').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, title: 'Cannot reach the API', transient: true });
    expect((error as ApiError).detail).toContain('ECONNREFUSED');
  });

  it('keeps a stage path of the base URL in front of the base path', () => {
    const api = new ApiClient({ baseUrl: 'https://x.execute-api.eu-west-1.amazonaws.com/prod/', sign: false });
    expect(api.url('/history', { environment: 'prod' }).href).toBe(
      'https://x.execute-api.eu-west-1.amazonaws.com/prod/api/v1/platform/deployments/history?environment=prod',
    );
  });
});
