import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasDotSegment } from '../../infra/local/server.js';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api.stop());

/** Sends `path` exactly as written: fetch (WHATWG URL) would resolve the dot segments first. */
function rawPost(path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dot segments in the path', () => {
  it.each([
    `${BASE}/tag/v1/rollback/../rollback`,
    `${BASE}/tag/v1/rollback/%2e%2e/rollback`,
    `${BASE}/tag/v1/rollback/.%2E/rollback`,
    `${BASE}/tag/v1/./rollback`,
    `${BASE}/tag/v1/%2e/rollback?environment=prod`,
  ])('%s is a 400 problem naming the path, and rolls nothing back', async (path) => {
    const created = await api.call('POST', BASE, { environment: 'prod', imageTag: 'v1' });
    expect(created.status).toBe(201);
    const answer = await rawPost(path);
    expect(answer.status).toBe(400);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body).errors).toEqual([{ field: 'path', message: expect.stringContaining('..') }]);
    const record = await api.call('GET', `${BASE}/tag/v1?environment=prod`);
    expect(record.body.status).toBe('DEPLOYED');
  });

  it('leaves dots inside a segment alone (image tags hold them)', async () => {
    expect(hasDotSegment(`${BASE}/tag/v1.2.0/rollback`)).toBe(false);
    expect(hasDotSegment(`${BASE}/tag/..v1/exists`)).toBe(false);
    expect(hasDotSegment(`${BASE}/history?environment=..`)).toBe(false);
    const created = await api.call('POST', BASE, { environment: 'prod', imageTag: 'v1.2.0' });
    expect(created.status).toBe(201);
    expect((await rawPost(`${BASE}/tag/v1.2.0/rollback?environment=prod`)).status).toBe(200);
  });
});
