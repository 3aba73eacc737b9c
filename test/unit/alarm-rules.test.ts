import { describe, expect, it } from 'vitest';
import type { AlarmStateChange } from '../../functions/core/alarm.js';
import type { Deployment } from '../../functions/core/deployment.js';
import { autoRollback, skipReason } from '../../functions/core/use-cases/auto-rollback.js';
import { deploymentFixture } from '../support/fixtures.js';
import { MemoryStore } from '../support/memory-store.js';

const firedAt = '2026-11-27T10:00:00.000Z';
const change: AlarmStateChange = {
  name: 'prod-5xx',
  arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:prod-5xx',
  state: 'ALARM',
  previousState: 'OK',
  reason: 'Threshold Crossed',
  stateChangedAt: firedAt,
};
const rule = { environment: 'prod', windowMinutes: 60 };

function record(over: Partial<Deployment>): Deployment {
  return deploymentFixture({
    id: '01JDQ5T2M8W3K9Z4X7V6B1N0CE',
    imageTag: 'v2.0.0',
    deployedAt: '2026-11-27T09:30:00.000Z',
    deployedBy: 'ci',
    updatedAt: '2026-11-27T09:30:00.000Z',
    ...over,
  });
}

describe('skipReason: the rules, in order', () => {
  it('lets a recent DEPLOYED non-rollback through', () => {
    expect(skipReason(record({}), change, rule)).toBeNull();
  });

  it('the window is inclusive: exactly 60 minutes before the alarm is still blamed, a millisecond more is not', () => {
    expect(skipReason(record({ deployedAt: '2026-11-27T09:00:00.000Z' }), change, rule)).toBeNull();
    expect(skipReason(record({ deployedAt: '2026-11-27T08:59:59.999Z' }), change, rule)).toMatch(
      /more than 60 minutes before the alarm fired at 2026-11-27T10:00:00.000Z/,
    );
  });

  it.each([
    [undefined, /^no deployments in prod$/],
    [record({ status: 'ROLLED_BACK' }), /is already rolled back/],
    [record({ status: 'FAILED' }), /is FAILED, not DEPLOYED/],
    [record({ status: 'IN_PROGRESS' }), /is IN_PROGRESS, not DEPLOYED/],
    [record({ rollbackOf: '01JDQ5T2M8W3K9Z4X7V6B1N0AA' }), /is itself a rollback \(of 01JDQ5T2M8W3K9Z4X7V6B1N0AA\)/],
    [record({ deployedAt: '2026-11-27T10:00:00.001Z' }), /after the alarm fired/],
  ])('%#: skips, saying why', (current, reason) => {
    expect(skipReason(current, change, rule)).toMatch(reason);
  });
});

describe('autoRollback ignores what is not a transition into ALARM of a mapped alarm, writing nothing', () => {
  it.each<[Partial<AlarmStateChange>, RegExp]>([
    [{ state: 'OK' }, /state OK is not ALARM/],
    [{ state: 'INSUFFICIENT_DATA' }, /state INSUFFICIENT_DATA is not ALARM/],
    [{ previousState: 'ALARM' }, /already in ALARM/],
    [{ name: 'unmapped' }, /alarm unmapped is not mapped to an environment/],
    [{ name: 'toString' }, /alarm toString is not mapped/],
  ])('%j', async (over, reason) => {
    const store = new MemoryStore();
    await store.create(record({}));
    const ports = { deployments: store, now: () => new Date(firedAt), newId: () => 'id' };
    const outcome = await autoRollback(ports, { ...change, ...over }, { 'prod-5xx': rule });
    expect(outcome).toEqual({ kind: 'ignored', alarm: over.name ?? 'prod-5xx', reason: expect.stringMatching(reason) });
    expect(store.outbox).toEqual([]);
    expect((await store.get(record({}).id))?.status).toBe('DEPLOYED');
  });
});
