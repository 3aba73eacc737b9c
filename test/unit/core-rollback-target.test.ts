import { describe, expect, it } from 'vitest';
import type { Deployment, Status } from '../../functions/core/deployment.js';
import { NotFoundError } from '../../functions/core/errors.js';
import { chooseTarget, findRollbackTarget } from '../../functions/core/use-cases/find-rollback-target.js';
import { deploymentFixture } from '../support/fixtures.js';
import { memoryPorts } from '../support/memory-store.js';

/** A record `minutes` after 10:00, created after every earlier call. */
const rec = (imageTag: string, status: Status, minutes: number): Deployment =>
  deploymentFixture({ imageTag, status, deployedAt: new Date(Date.UTC(2026, 10, 27, 10, minutes)).toISOString() });
/** History newest first, as the store hands it out. */
const newest = (...records: Deployment[]) => [...records].reverse();

describe('chooseTarget', () => {
  it('picks the most recent DEPLOYED record before the current one', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    expect(chooseTarget(newest(v1, v2, v3), v3)).toBe(v2);
  });

  it('skips FAILED and IN_PROGRESS records', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'FAILED', 2);
    const v3 = rec('v3', 'IN_PROGRESS', 3);
    const v4 = rec('v4', 'DEPLOYED', 4);
    expect(chooseTarget(newest(v1, v2, v3, v4), v4)).toBe(v1);
  });

  it('never targets the tag being rolled back, even deployed earlier', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2a = rec('v2', 'DEPLOYED', 2);
    const v2b = rec('v2', 'DEPLOYED', 3);
    expect(chooseTarget(newest(v1, v2a, v2b), v2b)).toBe(v1);
  });

  it('targets the latest record of a redeployed tag', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v1again = rec('v1', 'DEPLOYED', 3);
    const v3 = rec('v3', 'DEPLOYED', 4);
    expect(chooseTarget(newest(v1, v2, v1again, v3), v3)).toBe(v1again);
  });

  it('never targets a known-bad tag: one with a newer ROLLED_BACK record', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v2bad = rec('v2', 'ROLLED_BACK', 3);
    const v3 = rec('v3', 'DEPLOYED', 4);
    expect(chooseTarget(newest(v1, v2, v2bad, v3), v3)).toBe(v1);
  });

  it('counts ROLLED_BACK records newer than the current one too', () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    const v2bad = rec('v2', 'ROLLED_BACK', 4);
    expect(chooseTarget(newest(v1, v2, v3, v2bad), v3)).toBe(v1);
  });

  it('lets a tag rolled back before its good deployment be a target again', () => {
    const v2bad = rec('v2', 'ROLLED_BACK', 1);
    const v2fixed = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    // v2's ROLLED_BACK record is older than the DEPLOYED one, so it does not condemn it.
    expect(chooseTarget(newest(v2bad, v2fixed, v3), v3)).toBe(v2fixed);
  });

  it('finds nothing when only the current tag or bad tags remain', () => {
    const v1 = rec('v1', 'ROLLED_BACK', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    expect(chooseTarget(newest(v1, v2), v2)).toBeUndefined();
  });
});

describe('findRollbackTarget', () => {
  async function seeded(...records: Deployment[]) {
    const { ports, store } = memoryPorts();
    for (const r of records) await store.create(r);
    return ports;
  }

  it('defaults current to the most recent record of the environment', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const result = await findRollbackTarget(await seeded(v1, v2), 'prod', undefined);
    expect(result.current.id).toBe(v2.id);
    expect(result.target.id).toBe(v1.id);
  });

  it('uses the most recent record of the given tag as current', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    const result = await findRollbackTarget(await seeded(v1, v2, v3), 'prod', 'v2');
    expect(result.current.id).toBe(v2.id);
    expect(result.target.id).toBe(v1.id);
  });

  it('is NotFound for an empty environment, an unknown tag, or no earlier good version', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const ports = await seeded(v1);
    await expect(findRollbackTarget(ports, 'staging', undefined)).rejects.toThrow(NotFoundError);
    await expect(findRollbackTarget(ports, 'prod', 'v9')).rejects.toThrow(/No deployment of image tag v9/);
    await expect(findRollbackTarget(ports, 'prod', undefined)).rejects.toThrow(/No earlier DEPLOYED version/);
  });
});
