/**
 * Readiness in local mode over HTTP: GET .../environments/{environment}/readiness, and the
 * environment item's summary kept current by the local stream poller (the deployed refresh,
 * composed the same way), with LOST and RESTORED published once each and nothing on the first
 * evaluation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'readiness-local-'));
  api = await localApi({
    notifications: { file: path.join(dir, 'notifications.jsonl'), log: () => {} },
    redeployTargets: { prod: { via: 'command', command: 'true' } },
  });
});
afterAll(async () => api?.stop());

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Reads GET .../environments until `done` holds for prod's row (the refresh is asynchronous). */
async function prodUntil(done: (row: { readiness: { ready: boolean; checkedAt: string } | null }) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const row = (await api.call('GET', `${BASE}/environments`)).body.items.find(
      (i: { environment: string }) => i.environment === 'prod',
    );
    if ((row && done(row)) || Date.now() > deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function readinessEvents() {
  const { body } = await api.call('GET', '/_local/notifications');
  return (body as { messageAttributes: { eventType: string } }[])
    .map((n) => n.messageAttributes.eventType)
    .filter((t) => t.startsWith('ROLLBACK_READINESS'));
}

describe('readiness over HTTP, in local mode', () => {
  it('answers 404 for an environment without records and 400 for a malformed name', async () => {
    const missing = await api.call('GET', `${BASE}/environments/staging/readiness`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const bad = await api.call('GET', `${BASE}/environments/Prod!/readiness`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('environment');
    const method = await api.call('POST', `${BASE}/environments/prod/readiness`, {});
    expect(method.status).toBe(405);
  });

  it('with one record: nothing to roll back to, the other checks skipped', async () => {
    await api.call('POST', BASE, { environment: 'prod', imageTag: 'v1.0.0', deployedAt: ago(30) });
    const { status, body } = await api.call('GET', `${BASE}/environments/prod/readiness`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ environment: 'prod', ready: false, target: null, current: { imageTag: 'v1.0.0' } });
    expect(body.checks.map((c: { name: string; status: string }) => `${c.name} ${c.status}`)).toEqual([
      'target FAILED',
      'image SKIPPED',
      'migrations SKIPPED',
      'redeploy-target SKIPPED',
      'verify SKIPPED',
    ]);
    // The first evaluation is kept, silently.
    const row = await prodUntil((r) => r.readiness !== null);
    expect(row.readiness).toEqual({ ready: false, checkedAt: expect.any(String), failing: ['target'] });
  });

  it('keeps the summary current after each record change, publishing RESTORED and LOST once each', async () => {
    await api.call('POST', BASE, { environment: 'prod', imageTag: 'v2.0.0', deployedAt: ago(20) });
    const { body } = await api.call('GET', `${BASE}/environments/prod/readiness`);
    expect(body.ready).toBe(true);
    expect(body.target).toMatchObject({ imageTag: 'v1.0.0' });
    expect(body.checks.find((c: { name: string }) => c.name === 'redeploy-target')).toEqual({
      name: 'redeploy-target',
      status: 'PASSED',
      detail: 'command configured (nothing in AWS to look up)',
    });
    expect((await prodUntil((r) => r.readiness?.ready === true)).readiness.ready).toBe(true);

    // An irreversible migration now stands between the current deployment and the target.
    await api.call('POST', BASE, {
      environment: 'prod',
      imageTag: 'v3.0.0',
      migrations: [{ id: '0042_drop_total', reversible: false }],
    });
    expect((await prodUntil((r) => r.readiness?.ready === false)).readiness).toMatchObject({
      ready: false,
      failing: ['migrations'],
    });
    const deadline = Date.now() + 10_000;
    while ((await readinessEvents()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await readinessEvents()).toEqual(['ROLLBACK_READINESS_RESTORED', 'ROLLBACK_READINESS_LOST']);
  });
});
