import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api?.stop());

const historyOf = async (environment: string) =>
  (await api.call('GET', `${BASE}/history?environment=${environment}&limit=100`)).body.items;

describe("the contract's rollback example, over HTTP", () => {
  it('ends with the history table of API.md', async () => {
    const first = await api.call('POST', BASE, {
      environment: 'prod',
      imageTag: 'v2.0.0-def5678',
      version: 'v2.0.0',
      commitSha: 'def5678',
    });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`${BASE}/${first.body.id}`);
    expect(first.body.deployedBy).toBe('local');
    const bad = await api.call('POST', BASE, {
      environment: 'prod',
      imageTag: 'v2.1.0-abc1234',
      version: 'v2.1.0',
      commitSha: 'abc1234',
    });
    expect(bad.status).toBe(201);

    const exists = await api.call('GET', `${BASE}/tag/v2.0.0-def5678/exists`);
    expect(exists.body).toEqual({ imageTag: 'v2.0.0-def5678', exists: true, environments: ['prod'] });

    const target = await api.call('GET', `${BASE}/rollback-target?environment=prod`);
    expect(target.status).toBe(200);
    expect(target.body.current.id).toBe(bad.body.id);
    expect(target.body.target.id).toBe(first.body.id);

    const rolled = await api.call('POST', `${BASE}/tag/v2.1.0-abc1234/rollback`, {
      environment: 'prod',
      reason: 'error rate',
    });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ status: 'ROLLED_BACK', rolledBackBy: 'local', rollbackReason: 'error rate' });

    const redeploy = await api.call('POST', BASE, {
      environment: 'prod',
      imageTag: target.body.target.imageTag,
      version: 'v2.0.0',
      rollbackOf: bad.body.id,
    });
    expect(redeploy.status).toBe(201);

    const history = await historyOf('prod');
    expect(
      history.map((r: { imageTag: string; status: string; rollbackOf: string | null }) => [
        r.imageTag,
        r.status,
        r.rollbackOf,
      ]),
    ).toEqual([
      ['v2.0.0-def5678', 'DEPLOYED', bad.body.id],
      ['v2.1.0-abc1234', 'ROLLED_BACK', null],
      ['v2.0.0-def5678', 'DEPLOYED', null],
    ]);
    // After the rollback nothing older and different is left to roll back to.
    expect((await api.call('GET', `${BASE}/rollback-target?environment=prod`)).status).toBe(404);
  });
});

describe('finishing a deployment', () => {
  it('moves IN_PROGRESS to DEPLOYED once, then answers 409 with currentStatus', async () => {
    const started = await api.call('POST', BASE, { environment: 'patch', imageTag: 'p1', status: 'IN_PROGRESS' });
    const done = await api.call('PATCH', `${BASE}/${started.body.id}`, { status: 'DEPLOYED', notes: 'smoke ok' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'DEPLOYED', notes: 'smoke ok', id: started.body.id });
    const again = await api.call('PATCH', `${BASE}/${started.body.id}`, { status: 'FAILED' });
    expect(again.status).toBe(409);
    expect(again.body.currentStatus).toBe('DEPLOYED');
    expect((await api.call('PATCH', `${BASE}/01JDQ5T2M8W3K9Z4X7V6B1N0CE`, { status: 'FAILED' })).status).toBe(404);
  });
});

describe('status transitions outside the table are 409s', () => {
  it('refuses to record a deployment as ROLLED_BACK', async () => {
    const response = await api.call('POST', BASE, { environment: 'trans', imageTag: 't0', status: 'ROLLED_BACK' });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await historyOf('trans')).toEqual([]);
  });

  it('refuses PATCH to IN_PROGRESS or ROLLED_BACK, naming the current status', async () => {
    const started = await api.call('POST', BASE, { environment: 'trans', imageTag: 't1', status: 'IN_PROGRESS' });
    const same = await api.call('PATCH', `${BASE}/${started.body.id}`, { status: 'IN_PROGRESS' });
    expect(same.status).toBe(409);
    expect(same.body.currentStatus).toBe('IN_PROGRESS');
    const deployed = await api.call('POST', BASE, { environment: 'trans', imageTag: 't2' });
    const viaPatch = await api.call('PATCH', `${BASE}/${deployed.body.id}`, { status: 'ROLLED_BACK' });
    expect(viaPatch.status).toBe(409);
    expect(viaPatch.body.currentStatus).toBe('DEPLOYED');
    expect((await api.call('GET', `${BASE}/tag/t2?environment=trans`)).body.status).toBe('DEPLOYED');
  });
});

describe('a body that is not UTF-8', () => {
  it('is bad JSON, not text with replacement characters', async () => {
    const body = Buffer.concat([
      Buffer.from('{"environment":"utf","imageTag":"x","notes":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    const response = await fetch(`${api.url}${BASE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: unknown }).errors).toEqual([
      { field: 'body', message: 'is not valid JSON' },
    ]);
    expect(await historyOf('utf')).toEqual([]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same body and refuses another body', async () => {
    const body = { environment: 'idem', imageTag: 'i1' };
    const headers = { 'idempotency-key': 'run-1234' };
    const first = await api.call('POST', BASE, body, headers);
    const retry = await api.call('POST', BASE, body, headers);
    expect(retry.status).toBe(201);
    // The first response again, member order included.
    expect(JSON.stringify(retry.body)).toBe(JSON.stringify(first.body));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const other = await api.call('POST', BASE, { ...body, notes: 'changed' }, headers);
    expect(other.status).toBe(409);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(await historyOf('idem')).toHaveLength(1);
  });
});

describe('concurrency, settled by DynamoDB', () => {
  it('12 simultaneous rollbacks of one record: exactly one 200 and eleven 409s', async () => {
    await api.call('POST', BASE, { environment: 'race', imageTag: 'r0' });
    await api.call('POST', BASE, { environment: 'race', imageTag: 'r1' });
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.call('POST', `${BASE}/tag/r1/rollback?environment=race`, { reason: `caller ${i}` }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(11).fill(409)]);
    for (const r of responses.filter((r) => r.status === 409)) expect(r.body.currentStatus).toBe('ROLLED_BACK');
    const winner = responses.find((r) => r.status === 200);
    const stored = (await api.call('GET', `${BASE}/tag/r1?environment=race`)).body;
    expect(stored.rollbackReason).toBe(winner?.body.rollbackReason);
  });

  it('20 simultaneous records all land', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.call('POST', BASE, { environment: 'burst', imageTag: `b${i}` })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const history = await historyOf('burst');
    expect(history.map((r: { imageTag: string }) => r.imageTag).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `b${i}`).sort(),
    );
  });
});

describe('bad input: a problem naming the field, and nothing changes', () => {
  const cases: [string, string, string, unknown, Record<string, string>, number, string | undefined][] = [
    ['limit=0', 'GET', `${BASE}/history?environment=bad&limit=0`, undefined, {}, 400, 'limit'],
    ['limit=abc', 'GET', `${BASE}/history?environment=bad&limit=abc`, undefined, {}, 400, 'limit'],
    ['limit=1000', 'GET', `${BASE}/history?environment=bad&limit=1000`, undefined, {}, 400, 'limit'],
    ['a forged cursor', 'GET', `${BASE}/history?environment=bad&cursor=eyJ2IjoxfQ`, undefined, {}, 400, 'cursor'],
    ['a missing environment', 'GET', `${BASE}/history`, undefined, {}, 400, 'environment'],
    ['a bad environment', 'GET', `${BASE}/history?environment=Prod_EU`, undefined, {}, 400, 'environment'],
    ['a bad tag', 'GET', `${BASE}/tag/-bad%20tag`, undefined, {}, 400, 'imageTag'],
    ['a bad tag on rollback', 'POST', `${BASE}/tag/${'x'.repeat(129)}/rollback`, undefined, {}, 400, 'imageTag'],
    ['a bad id', 'PATCH', `${BASE}/not-a-ulid`, { status: 'FAILED' }, {}, 400, 'id'],
    ['bad JSON', 'POST', BASE, '{"environment": "bad",', {}, 400, 'body'],
    [
      'an unknown member',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1', deployedBy: 'mallory' },
      {},
      400,
      'deployedBy',
    ],
    ['a bad status', 'POST', BASE, { environment: 'bad', imageTag: 'v1', status: 'DONE' }, {}, 400, 'status'],
    [
      'a query parameter on POST',
      'POST',
      `${BASE}?environment=bad`,
      { environment: 'bad', imageTag: 'v1' },
      {},
      400,
      'environment',
    ],
    [
      'a known path with a method only a less specific route takes',
      'PATCH',
      `${BASE}/history`,
      { status: 'FAILED' },
      {},
      405,
      undefined,
    ],
    [
      'a record id past the ULID range',
      'PATCH',
      `${BASE}/8ZZZZZZZZZZZZZZZZZZZZZZZZZ`,
      { status: 'FAILED' },
      {},
      400,
      'id',
    ],
    [
      'notes over 4,096',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1', notes: 'n'.repeat(4097) },
      {},
      400,
      'notes',
    ],
    [
      'a migration without reversible',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1', migrations: [{ id: 'm' }] },
      {},
      400,
      'migrations.0.reversible',
    ],
    [
      'a URL with credentials',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1', pipelineRunUrl: 'https://u:p@ci.example.com/1' },
      {},
      400,
      'pipelineRunUrl',
    ],
    [
      'a bad Idempotency-Key',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1' },
      { 'idempotency-key': 'has space' },
      400,
      'Idempotency-Key',
    ],
    [
      'a reason over 1,024',
      'POST',
      `${BASE}/tag/v1/rollback`,
      { environment: 'bad', reason: 'r'.repeat(1025) },
      {},
      400,
      'reason',
    ],
    [
      'two environments',
      'POST',
      `${BASE}/tag/v1/rollback?environment=bad`,
      { environment: 'other' },
      {},
      400,
      'environment',
    ],
    [
      'an oversize body',
      'POST',
      BASE,
      { environment: 'bad', imageTag: 'v1', notes: 'n'.repeat(70_000) },
      {},
      413,
      undefined,
    ],
    [
      'a non-JSON body',
      'POST',
      BASE,
      'environment=bad',
      { 'content-type': 'application/x-www-form-urlencoded' },
      415,
      undefined,
    ],
    ['an unknown route', 'GET', '/api/v1/platform/nothing-here', undefined, {}, 404, undefined],
    ['a wrong method', 'DELETE', `${BASE}/tag/v1`, undefined, {}, 405, undefined],
    ['an unknown tag', 'GET', `${BASE}/tag/never-deployed`, undefined, {}, 404, undefined],
    ['rolling back an unknown tag', 'POST', `${BASE}/tag/never-deployed/rollback`, undefined, {}, 404, undefined],
  ];

  it.each(cases)('%s', async (_name, method, path, body, headers, status, field) => {
    await api.call('POST', BASE, { environment: 'bad', imageTag: 'v1' });
    const before = await historyOf('bad');
    const response = await api.call(method, path, body, headers);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    });
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(ts|js):\d+|Error:/);
    if (field) expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await historyOf('bad')).toEqual(before);
    await api.call('POST', BASE, { environment: 'bad-side', imageTag: 'v1' });
  });

  it('an ambiguous tag is a 409 listing the environments', async () => {
    await api.call('POST', BASE, { environment: 'amb-a', imageTag: 'amb' });
    await api.call('POST', BASE, { environment: 'amb-b', imageTag: 'amb' });
    const response = await api.call('POST', `${BASE}/tag/amb/rollback`);
    expect(response.status).toBe(409);
    expect(response.body.environments).toEqual(['amb-a', 'amb-b']);
    expect((await api.call('GET', `${BASE}/tag/amb?environment=amb-b`)).body.status).toBe('DEPLOYED');
  });
});
