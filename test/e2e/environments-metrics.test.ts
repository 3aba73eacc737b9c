import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => api?.stop());

const today = () => new Date().toISOString().slice(0, 10);
// One clock reading for all the seeded times, so their differences are exact (two readings a
// millisecond apart made commitAt and deployedAt 59:59.999 apart).
const seededAt = Date.now();
const ago = (minutes: number) => new Date(seededAt - minutes * 60_000).toISOString();

describe('environments and metrics over HTTP, after the contract rollback example', () => {
  let good: { id: string };
  let bad: { id: string };
  let redeploy: { id: string };

  beforeAll(async () => {
    good = (
      await api.call('POST', BASE, {
        environment: 'prod',
        imageTag: 'v2.0.0-def5678',
        commitSha: 'def5678',
        commitAt: ago(240),
        deployedAt: ago(180),
      })
    ).body;
    bad = (
      await api.call('POST', BASE, {
        environment: 'prod',
        imageTag: 'v2.1.0-abc1234',
        commitSha: 'abc1234',
        commitAt: ago(120),
        deployedAt: ago(60),
      })
    ).body;
    const rolled = await api.call('POST', `${BASE}/tag/v2.1.0-abc1234/rollback`, { environment: 'prod', reason: 'x' });
    expect(rolled.status).toBe(200);
    redeploy = (await api.call('POST', BASE, { environment: 'prod', imageTag: 'v2.0.0-def5678', rollbackOf: bad.id }))
      .body;
    await api.call('POST', BASE, { environment: 'staging', imageTag: 'v2.2.0-0123456', status: 'IN_PROGRESS' });
  });

  it('returns commitAt on the record, null when absent', async () => {
    const record = await api.call('GET', `${BASE}/tag/v2.1.0-abc1234?environment=prod`);
    expect(record.body.commitAt).toBe(new Date(Date.parse(record.body.deployedAt) - 60 * 60_000).toISOString());
    const history = await api.call('GET', `${BASE}/history?environment=prod`);
    expect(history.body.items[0]).toMatchObject({ id: redeploy.id, commitAt: null });
    expect(Object.keys(history.body.items[0]).indexOf('commitAt')).toBe(
      Object.keys(history.body.items[0]).indexOf('commitSha') + 1,
    );
  });

  it('lists what runs where, sorted by environment', async () => {
    const response = await api.call('GET', `${BASE}/environments`);
    expect(response.status).toBe(200);
    expect(response.body.items.map((i: { environment: string }) => i.environment)).toEqual(['prod', 'staging']);
    const [prod, staging] = response.body.items;
    expect(prod).toEqual({
      environment: 'prod',
      current: expect.objectContaining({ id: redeploy.id, status: 'DEPLOYED', rollbackOf: bad.id }),
      lastDeployedAt: prod.current.deployedAt,
      redeploy: null,
      activeRun: null,
      // The rollback of v2.1.0 held prod (in its own write); the redeploy, a rollbackOf, went through.
      hold: expect.objectContaining({ cause: { kind: 'rollback', deploymentId: bad.id, runId: null } }),
      // No notification path here, so no readiness refresh: not checked yet (readiness-local.test.ts).
      readiness: null,
    });
    expect(staging.current).toMatchObject({ imageTag: 'v2.2.0-0123456', status: 'IN_PROGRESS' });
  });

  it('shows a finished deployment as it stands now', async () => {
    const staging = (await api.call('GET', `${BASE}/environments`)).body.items[1];
    const done = await api.call('PATCH', `${BASE}/${staging.current.id}`, { status: 'FAILED', notes: 'smoke failed' });
    expect(done.status).toBe(200);
    const after = (await api.call('GET', `${BASE}/environments`)).body.items[1];
    expect(after.current).toEqual(done.body);
  });

  it('computes the five figures for the window, with their ids', async () => {
    const response = await api.call('GET', `${BASE}/metrics?environment=prod&interval=all`);
    expect(response.status).toBe(200);
    const { summary, series, from, to, interval } = response.body;
    expect({ from, to, interval }).toEqual({
      from: new Date(Date.parse(`${today()}T00:00:00Z`) - 89 * 86_400_000).toISOString().slice(0, 10),
      to: today(),
      interval: 'all',
    });
    expect(summary.deploymentFrequency).toEqual({ count: 3, forward: 2 });
    expect(summary.changeLeadTime).toEqual({ median: 3600, p90: 3600, count: 2 });
    expect(summary.changeFailRate).toEqual({ value: 0.3333, numerator: 1, denominator: 3, ids: [bad.id] });
    expect(summary.reworkRate).toEqual({ value: 0.3333, numerator: 1, denominator: 3, ids: [redeploy.id] });
    expect(summary.failedDeploymentRecoveryTime).toMatchObject({ count: 1, unrecovered: [] });
    expect(summary.failedDeploymentRecoveryTime.median).toBeGreaterThanOrEqual(3600);
    expect(series).toEqual([{ start: from, end: to, ...summary }]);
    expect(good.id).toBeTruthy();
  });

  it('answers an environment without records with nulls, not zeros', async () => {
    const response = await api.call(
      'GET',
      `${BASE}/metrics?environment=nowhere&from=2026-01-01&to=2026-01-03&interval=day`,
    );
    expect(response.status).toBe(200);
    expect(response.body.series).toHaveLength(3);
    expect(response.body.summary.changeFailRate).toEqual({ value: null, numerator: 0, denominator: 0, ids: [] });
    expect(response.body.summary.changeLeadTime).toEqual({ median: null, p90: null, count: 0 });
  });

  it.each([
    ['from=2026-13-01', 'from'],
    ['from=2026-02-30', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-03-02&to=2026-03-01', 'from'],
    ['from=2025-01-01&to=2026-01-02', 'from'],
    ['interval=year', 'interval'],
    ['env=prod', 'env'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const response = await api.call('GET', `${BASE}/metrics?environment=prod&${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses metrics without an environment, and query parameters on environments', async () => {
    expect((await api.call('GET', `${BASE}/metrics`)).status).toBe(400);
    expect((await api.call('GET', `${BASE}/environments?environment=prod`)).status).toBe(400);
    expect((await api.call('POST', `${BASE}/environments`, {})).status).toBe(405);
  });

  it('refuses a commitAt without a zone or after the deployment', async () => {
    const noZone = await api.call('POST', BASE, { environment: 'qa', imageTag: 'v1', commitAt: '2026-11-27T10:00:00' });
    expect(noZone.status).toBe(400);
    expect(noZone.body.errors[0].field).toBe('commitAt');
    const later = await api.call('POST', BASE, {
      environment: 'qa',
      imageTag: 'v1',
      deployedAt: ago(60),
      commitAt: ago(30),
    });
    expect(later.status).toBe(400);
    expect(later.body.errors[0].field).toBe('commitAt');
    expect(
      (await api.call('GET', `${BASE}/environments`)).body.items.map((i: { environment: string }) => i.environment),
    ).toEqual(['prod', 'staging']);
  });
});
