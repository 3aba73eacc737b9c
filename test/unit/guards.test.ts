import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { holdsAfterRollback, knownBadRecord, rollbackHold } from '../../functions/core/guards.js';
import { ConfigError, readConfig } from '../../functions/lib/config.js';
import { deploymentFixture } from '../support/fixtures.js';

async function* newestFirst(records: Deployment[]) {
  yield* records;
}

describe('the guards’ rules', () => {
  it('holdAfterRollback: absent or ["*"] holds every environment, a list only those, [] none', () => {
    expect(holdsAfterRollback(undefined, 'dev')).toBe(true);
    expect(holdsAfterRollback(['*'], 'dev')).toBe(true);
    expect(holdsAfterRollback(['prod'], 'prod')).toBe(true);
    expect(holdsAfterRollback(['prod'], 'dev')).toBe(false);
    expect(holdsAfterRollback([], 'prod')).toBe(false);
  });

  it('HOLD_AFTER_ROLLBACK is read once, default ["*"], and a malformed one fails the cold start', () => {
    expect(readConfig({ TABLE_NAME: 't' }).holdAfterRollback).toEqual(['*']);
    expect(readConfig({ TABLE_NAME: 't', HOLD_AFTER_ROLLBACK: '["prod"]' }).holdAfterRollback).toEqual(['prod']);
    expect(() => readConfig({ TABLE_NAME: 't', HOLD_AFTER_ROLLBACK: 'prod' })).toThrow(ConfigError);
    expect(() => readConfig({ TABLE_NAME: 't', HOLD_AFTER_ROLLBACK: '["PROD"]' })).toThrow(/HOLD_AFTER_ROLLBACK/);
  });

  it('a tag is known bad when a ROLLED_BACK record of it is newer than its last DEPLOYED one', async () => {
    const rolled = deploymentFixture({ status: 'ROLLED_BACK' });
    const deployed = deploymentFixture({ status: 'DEPLOYED' });
    const failed = deploymentFixture({ status: 'FAILED' });
    const started = deploymentFixture({ status: 'IN_PROGRESS' });
    expect(await knownBadRecord(newestFirst([failed, started, rolled, deployed]))).toEqual(rolled);
    expect(await knownBadRecord(newestFirst([deployed, rolled]))).toBeUndefined();
    expect(await knownBadRecord(newestFirst([failed, started]))).toBeUndefined();
    expect(await knownBadRecord(newestFirst([]))).toBeUndefined();
  });

  it("a rollback's hold names the tag and the reason, who rolled back, when, and the run", () => {
    const rolled = deploymentFixture({
      imageTag: 'v9',
      status: 'ROLLED_BACK',
      rolledBackAt: '2026-12-02T10:00:00.000Z',
      rolledBackBy: 'auto-rollback:prod-5xx',
      rollbackReason: 'Threshold Crossed',
    });
    expect(rollbackHold(rolled, 'RUN1')).toEqual({
      reason: 'v9 rolled back: Threshold Crossed',
      by: 'auto-rollback:prod-5xx',
      since: '2026-12-02T10:00:00.000Z',
      cause: { kind: 'rollback', deploymentId: rolled.id, runId: 'RUN1' },
    });
    expect(rollbackHold({ ...rolled, rollbackReason: null }, null).reason).toBe('v9 rolled back');
  });
});
