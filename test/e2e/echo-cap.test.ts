/**
 * Problem details echo what broke the contract, but never unbounded input: a long field name
 * or value comes back clipped with an ellipsis, at most 100 errors are listed, and input of
 * normal length comes back exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api?.stop());

/** The answer's size in bytes, and its problem. */
async function problem(method: string, path: string, body?: unknown) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) };
}

describe('problem details', () => {
  it('echo a normal unknown parameter or member exactly as before', async () => {
    const query = await problem('GET', `${BASE}/history?environment=prod&bogus=1`);
    expect(query.status).toBe(400);
    expect(query.body.errors).toEqual([{ field: 'bogus', message: 'is not a member this route accepts' }]);
    expect(query.body.detail).toBe('bogus: is not a member this route accepts');
    const body = await problem('POST', BASE, { environment: 'prod', imageTag: 'v1', force: true });
    expect(body.body.errors).toEqual([{ field: 'force', message: 'is not a member this route accepts' }]);
    expect(body.body.detail).toBe('force: is not a member this route accepts');
  });

  it('clip a 9,000-character parameter name to 100 characters and an ellipsis', async () => {
    const name = 'x'.repeat(9_000);
    const answer = await problem('GET', `${BASE}/history?environment=prod&${name}=1`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: `${'x'.repeat(100)}…`, message: 'is not a member this route accepts' },
    ]);
    expect(answer.body.detail).toBe(`${'x'.repeat(100)}…: is not a member this route accepts`);
    expect(answer.bytes).toBeLessThan(1_000);
  });

  it('list at most 100 errors of a body full of unknown members, and say how many more', async () => {
    const members = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`m${i}`, 1]));
    const answer = await problem('POST', BASE, { environment: 'prod', imageTag: 'v1', ...members });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(100);
    expect(answer.body.errors[0]).toEqual({ field: 'm0', message: 'is not a member this route accepts' });
    expect(answer.body.detail).toMatch(/; and 4900 more$/);
    expect(answer.bytes).toBeLessThan(12_000);
  });

  it('clip a long path and a long id in the detail and the instance', async () => {
    const long = 'y'.repeat(5_000);
    for (const path of [`${BASE}/${long}`, `${BASE}/rollbacks/${long}`, `${BASE}/${long}/x/y`]) {
      const answer = await problem('GET', path);
      expect(answer.status, path.slice(0, 60)).toBe(404);
      expect(answer.bytes).toBeLessThan(1_000);
      expect(answer.body.instance).toMatch(/…$/);
      expect(answer.body.detail).toContain('…');
    }
    // A path of normal length is the instance, whole.
    expect((await problem('GET', `${BASE}/01JDQ5T2M8W3K9Z4X7V6B1N0CE`)).body).toMatchObject({
      instance: `${BASE}/01JDQ5T2M8W3K9Z4X7V6B1N0CE`,
      detail: 'No deployment with id 01JDQ5T2M8W3K9Z4X7V6B1N0CE.',
    });
  });
});
