import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';
import { callLog } from '../support/runs.js';

let api: Awaited<ReturnType<typeof localApi>>;
const calls = callLog();

beforeAll(async () => {
  api = await localApi({
    redeployTargets: {
      prod: calls.target,
      slow: { via: 'command', command: 'sleep 3', pollSeconds: 1 },
      empty: { via: 'command', command: 'true' },
      other: { via: 'command', command: 'true' },
    },
  });
});
afterAll(async () => api?.stop());

async function twoDeployments(environment: string) {
  const v1 = (await api.call('POST', BASE, { environment, imageTag: 'v1.0.0' })).body;
  const v2 = (await api.call('POST', BASE, { environment, imageTag: 'v2.0.0' })).body;
  return { v1, v2 };
}

describe('rollback runs over HTTP', () => {
  it('POST .../rollbacks starts a run (202 + Location) that ends SUCCEEDED with the redeploy recorded', async () => {
    const { v1, v2 } = await twoDeployments('prod');
    const started = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod', reason: '5xx after v2' });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`${BASE}/rollbacks/${started.body.id}`);
    expect(started.body).toMatchObject({
      environment: 'prod',
      trigger: 'manual',
      requestedBy: 'local',
      current: { id: v2.id, imageTag: 'v2.0.0' },
      target: { id: v1.id, imageTag: 'v1.0.0' },
      status: 'RUNNING',
    });
    expect(started.body.steps.map((s: { name: string }) => s.name)).toEqual([
      'identify',
      'checks',
      'mark',
      'redeploy',
      'record',
      'verify',
    ]);

    const run = await api.untilRun(started.body.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(calls.lines()).toEqual(['v1.0.0']);
    const redeploy = await api.call('GET', `${BASE}/${run.redeploy.deploymentId}`);
    expect(redeploy.status).toBe(200);
    expect(redeploy.body).toMatchObject({ imageTag: 'v1.0.0', status: 'DEPLOYED', rollbackOf: v2.id });

    const list = await api.call('GET', `${BASE}/rollbacks?environment=prod`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [run], nextCursor: null });
    // The redeploy is itself a rollback: a run for it is refused.
    const again = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod', reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('itself a rollback');
  });

  it('a second POST while a run is RUNNING is 409 with runId; an Idempotency-Key replay returns the first response', async () => {
    await twoDeployments('slow');
    const body = { environment: 'slow', reason: 'latency' };
    const first = await api.call('POST', `${BASE}/rollbacks`, body, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    const replay = await api.call('POST', `${BASE}/rollbacks`, body, { 'idempotency-key': 'k-1' });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.body.id);
    const other = await api.call(
      'POST',
      `${BASE}/rollbacks`,
      { ...body, reason: 'other' },
      { 'idempotency-key': 'k-1' },
    );
    expect(other.status).toBe(409);
    const second = await api.call('POST', `${BASE}/rollbacks`, body);
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    expect(second.body.runId).toBe(first.body.id);
    const ended = await api.untilRun(first.body.id);
    expect(ended.status).toBe('SUCCEEDED');
    // Once the run has ended, a replay still answers the first response as it was (202, the
    // run as started, the same Location), not the run's current state, which is at Location.
    const late = await api.call('POST', `${BASE}/rollbacks`, body, { 'idempotency-key': 'k-1' });
    expect(late.status).toBe(202);
    expect(late.body).toEqual(first.body);
    expect(late.body.status).toBe('RUNNING');
    expect(late.headers.get('location')).toBe(first.headers.get('location'));
    expect(late.headers.get('idempotent-replayed')).toBe('true');
    expect((await api.call('GET', first.headers.get('location') ?? '')).body).toEqual(ended);
  });

  it('refuses what it cannot do: no target configured, nothing to roll back to, bad input', async () => {
    await twoDeployments('staging');
    const none = await api.call('POST', `${BASE}/rollbacks`, { environment: 'staging', reason: 'x' });
    expect(none.status).toBe(409);
    expect(none.body.title).toBe('No redeploy target configured');
    // Nothing at all, then no record of the asked target: 404 both times, and no run.
    const nothing = await api.call('POST', `${BASE}/rollbacks`, { environment: 'empty', reason: 'x' });
    expect(nothing.status).toBe(404);
    await twoDeployments('other');
    const empty = await api.call('POST', `${BASE}/rollbacks`, {
      environment: 'other',
      reason: 'x',
      targetImageTag: 'v9',
    });
    expect(empty.status).toBe(404);
    expect((await api.call('GET', `${BASE}/rollbacks?environment=other`)).body.items).toEqual([]);
    const bad = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'reason', message: 'is required' }]);
    const unknown = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod', reason: 'x', force: true });
    expect(unknown.status).toBe(400);
    const limit = await api.call('GET', `${BASE}/rollbacks?environment=prod&limit=0`);
    expect(limit.status).toBe(400);
    const cursor = await api.call('GET', `${BASE}/rollbacks?environment=prod&cursor=abc.def`);
    expect(cursor.status).toBe(400);
  });

  it('GET .../{id} and .../rollbacks/{id}: 404 for unknown or malformed ids', async () => {
    for (const path of [
      `${BASE}/01JDQ5T2M8W3K9Z4X7V6B1N0CE`,
      `${BASE}/not-an-id`,
      `${BASE}/rollbacks/01JDQ5T2M8W3K9Z4X7V6B1N0CE`,
      `${BASE}/rollbacks/nope`,
    ]) {
      const response = await api.call('GET', path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
