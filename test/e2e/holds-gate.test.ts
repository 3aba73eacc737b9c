import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api?.stop());

const PROBLEM = 'urn:platform-rollback:problem:';
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const ENV = `${BASE}/environments`;

/** v1 then v2 DEPLOYED in `environment`, and v2 rolled back over HTTP (which holds the environment). */
async function rolledBack(environment: string) {
  const v1 = (await api.call('POST', BASE, { environment, imageTag: 'v1', deployedAt: ago(30) })).body;
  const v2 = (await api.call('POST', BASE, { environment, imageTag: 'v2', deployedAt: ago(20) })).body;
  const rolled = await api.call('POST', `${BASE}/tag/v2/rollback`, { environment, reason: '5xx' });
  expect(rolled.status).toBe(200);
  return { v1, v2 };
}

const historyOf = async (environment: string) =>
  (await api.call('GET', `${BASE}/history?environment=${environment}`)).body.items as { id: string }[];

describe('the guard table of POST /api/v1/platform/deployments, over HTTP', () => {
  it('a rollback holds the environment: GET .../environments/{environment} and the list show the hold', async () => {
    const { v2 } = await rolledBack('shown');
    const item = await api.call('GET', `${ENV}/shown`);
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({
      environment: 'shown',
      current: { id: v2.id, status: 'ROLLED_BACK' },
      hold: {
        reason: 'v2 rolled back: 5xx',
        by: 'local',
        cause: { kind: 'rollback', deploymentId: v2.id, runId: null },
      },
      readiness: null,
    });
    const list = await api.call('GET', ENV);
    expect(list.body.items.find((i: { environment: string }) => i.environment === 'shown')).toEqual(item.body);
    expect((await api.call('GET', `${ENV}/never`)).status).toBe(404);
    expect((await api.call('GET', `${ENV}/Not_An_Env`)).status).toBe(400);
  });

  it('IN_PROGRESS, no rollbackOf, held: 409 environment-held with the hold, nothing written', async () => {
    await rolledBack('held');
    const { hold } = (await api.call('GET', `${ENV}/held`)).body;
    const before = await historyOf('held');
    const refused = await api.call('POST', BASE, { environment: 'held', imageTag: 'v3', status: 'IN_PROGRESS' });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: `${PROBLEM}environment-held`, status: 409, hold });
    expect(await historyOf('held')).toEqual(before);
  });

  it('IN_PROGRESS, no rollbackOf, known-bad tag: 409 known-bad-image-tag naming the ROLLED_BACK record', async () => {
    const { v2 } = await rolledBack('bad');
    await api.call('POST', `${ENV}/bad/release`, { reason: 'v3 carries the fix' });
    const before = await historyOf('bad');
    const refused = await api.call('POST', BASE, { environment: 'bad', imageTag: 'v2', status: 'IN_PROGRESS' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: `${PROBLEM}known-bad-image-tag`, deploymentId: v2.id });
    expect(await historyOf('bad')).toEqual(before);
    expect((await api.call('POST', BASE, { environment: 'bad', imageTag: 'v3', status: 'IN_PROGRESS' })).status).toBe(
      201,
    );
  });

  it('DEPLOYED or FAILED after the fact, held or known bad: 201, history stays true', async () => {
    await rolledBack('after');
    for (const status of ['DEPLOYED', 'FAILED']) {
      const late = await api.call('POST', BASE, { environment: 'after', imageTag: 'v2', status, deployedAt: ago(1) });
      expect(late.status).toBe(201);
      expect(late.body).toMatchObject({ status, override: null });
    }
  });

  it('any status with rollbackOf: 201, never refused by a hold', async () => {
    const { v2 } = await rolledBack('redeploy');
    for (const status of ['IN_PROGRESS', 'DEPLOYED']) {
      const redeploy = await api.call('POST', BASE, {
        environment: 'redeploy',
        imageTag: 'v1',
        status,
        rollbackOf: v2.id,
      });
      expect(redeploy.status).toBe(201);
    }
  });

  it('an override lets an IN_PROGRESS start through both guards, kept as { reason, by }', async () => {
    await rolledBack('forced');
    const forced = await api.call('POST', BASE, {
      environment: 'forced',
      imageTag: 'v2',
      status: 'IN_PROGRESS',
      override: { reason: 'the alarm was a false positive' },
    });
    expect(forced.status).toBe(201);
    expect(forced.body.override).toEqual({ reason: 'the alarm was a false positive', by: 'local' });
    expect((await api.call('GET', `${BASE}/${forced.body.id}`)).body.override).toEqual(forced.body.override);
  });

  it.each([
    ['an empty override', {}, 'override.reason'],
    ['an empty reason', { reason: '' }, 'override.reason'],
    ['a reason over 1,024 characters', { reason: 'x'.repeat(1025) }, 'override.reason'],
    ['a reason that is not text', { reason: 42 }, 'override.reason'],
    ['an override that is not an object', 'please', 'override'],
    ['an unknown member', { reason: 'ok', by: 'someone-else' }, 'override.by'],
  ])('refuses %s with a 400 naming the field, and writes nothing', async (_, override, field) => {
    await rolledBack(`override-${field.length}-${JSON.stringify(override).length}`);
    const environment = `override-${field.length}-${JSON.stringify(override).length}`;
    const before = await historyOf(environment);
    const bad = await api.call('POST', BASE, { environment, imageTag: 'v2', status: 'IN_PROGRESS', override });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field })]);
    expect(await historyOf(environment)).toEqual(before);
  });
});

describe('hold and release over HTTP', () => {
  it('holds by hand, refuses a second hold with the hold, releases, refuses a release of nothing', async () => {
    await api.call('POST', BASE, { environment: 'freeze', imageTag: 'v1' });
    const held = await api.call('POST', `${ENV}/freeze/hold`, { reason: 'quarter close' });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({
      environment: 'freeze',
      hold: { reason: 'quarter close', by: 'local', cause: { kind: 'manual', deploymentId: null, runId: null } },
    });
    const again = await api.call('POST', `${ENV}/freeze/hold`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.hold).toEqual(held.body.hold);
    const released = await api.call('POST', `${ENV}/freeze/release`, { reason: 'closed' });
    expect(released.status).toBe(200);
    expect(released.body.hold).toBeNull();
    const nothing = await api.call('POST', `${ENV}/freeze/release`, { reason: 'closed' });
    expect(nothing.status).toBe(409);
    expect(nothing.body.type).toBe(`${PROBLEM}environment-not-held`);
  });

  it.each([
    ['no body', undefined, 400],
    ['no reason', {}, 400],
    ['an empty reason', { reason: '' }, 400],
    ['a reason over 1,024 characters', { reason: 'x'.repeat(1025) }, 400],
    ['an unknown member', { reason: 'x', until: 'monday' }, 400],
  ])('hold and release refuse %s (%s)', async (_, body, status) => {
    for (const action of ['hold', 'release']) {
      expect((await api.call('POST', `${ENV}/freeze/${action}`, body)).status).toBe(status);
    }
  });

  it('404 for an environment without records, 400 for a malformed name', async () => {
    expect((await api.call('POST', `${ENV}/nowhere/hold`, { reason: 'x' })).status).toBe(404);
    expect((await api.call('POST', `${ENV}/nowhere/release`, { reason: 'x' })).status).toBe(404);
    expect((await api.call('POST', `${ENV}/NOPE/hold`, { reason: 'x' })).status).toBe(400);
  });
});

describe('the gate over HTTP', () => {
  const gate = (environment: string, query: string) => api.call('GET', `${ENV}/${environment}/gate?${query}`);

  it('allows an environment without records, refuses a held one and a known-bad tag, each reason listed', async () => {
    expect((await gate('empty', 'imageTag=v1')).body).toEqual({
      environment: 'empty',
      imageTag: 'v1',
      allowed: true,
      reasons: [],
      hold: null,
      readiness: null,
    });
    await rolledBack('gated');
    const answer = await gate('gated', 'imageTag=v2');
    expect(answer.status).toBe(200);
    expect(answer.body.allowed).toBe(false);
    expect(answer.body.reasons.map((r: { guard: string }) => r.guard)).toEqual(['hold', 'known-bad']);
    expect(answer.body.hold).toEqual((await api.call('GET', `${ENV}/gated`)).body.hold);
    await api.call('POST', `${ENV}/gated/release`, { reason: 'fixed forward' });
    expect((await gate('gated', 'imageTag=v3')).body).toMatchObject({ allowed: true, reasons: [] });
    expect((await gate('gated', 'imageTag=v2')).body.reasons.map((r: { guard: string }) => r.guard)).toEqual([
      'known-bad',
    ]);
  });

  it('with requireReady=true, readiness not yet checked is a reason; false or absent ignores readiness', async () => {
    await api.call('POST', BASE, { environment: 'ready', imageTag: 'v1' });
    expect((await gate('ready', 'imageTag=v2&requireReady=true')).body).toMatchObject({
      allowed: false,
      reasons: [{ guard: 'readiness', detail: 'readiness not yet checked in ready' }],
      readiness: null,
    });
    expect((await gate('ready', 'imageTag=v2&requireReady=false')).body.allowed).toBe(true);
    expect((await gate('ready', 'imageTag=v2')).body.allowed).toBe(true);
  });

  it('400 without a well-formed imageTag or with a requireReady that is not true or false', async () => {
    for (const query of ['', 'imageTag=', 'imageTag=bad%20tag', 'imageTag=v1&requireReady=yes', 'imageTag=v1&x=1']) {
      const bad = await gate('ready', query);
      expect(bad.status).toBe(400);
      expect(bad.body.errors.length).toBeGreaterThan(0);
    }
  });
});
