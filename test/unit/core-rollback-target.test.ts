import { describe, expect, it } from 'vitest';
import type { Deployment, Status } from '../../functions/core/deployment.js';
import { NotFoundError } from '../../functions/core/errors.js';
import { chooseRollbackTarget, type TargetRequest } from '../../functions/core/rollback-target.js';
import { findRollbackTarget } from '../../functions/core/use-cases/find-rollback-target.js';
import { deploymentFixture } from '../support/fixtures.js';
import { memoryPorts } from '../support/memory-store.js';

/** A record `minutes` after 10:00, created after every earlier call. */
const rec = (imageTag: string, status: Status, minutes: number): Deployment =>
  deploymentFixture({ imageTag, status, deployedAt: new Date(Date.UTC(2026, 10, 27, 10, minutes)).toISOString() });
/** History newest first, as the store hands it out. */
const newest = (...records: Deployment[]) => [...records].reverse();

/** The rule over an in-memory history (given newest first). */
async function answer(history: Deployment[], request: Partial<TargetRequest> = {}) {
  return chooseRollbackTarget(
    {
      newestFirst: async function* () {
        yield* history;
      },
      hasTag: async (tag) => history.some((d) => d.imageTag === tag),
    },
    { environment: 'prod', purpose: 'read', ...request },
  );
}

/** The default rule's target for `current` (the most recent record of its tag), or undefined. */
async function chooseTarget(history: Deployment[], current: Deployment) {
  const found = await answer(history, { currentTag: current.imageTag });
  if (found.ok) expect(found.current).toBe(current);
  return found.ok ? found.target : undefined;
}

/** The refusal's kind, or the target's tag. */
async function outcome(history: Deployment[], request: Partial<TargetRequest>) {
  const found = await answer(history, request);
  return found.ok ? found.target.imageTag : found.refusal.kind;
}

describe('chooseTarget', () => {
  it('picks the most recent DEPLOYED record before the current one', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    expect(await chooseTarget(newest(v1, v2, v3), v3)).toBe(v2);
  });

  it('skips FAILED and IN_PROGRESS records', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'FAILED', 2);
    const v3 = rec('v3', 'IN_PROGRESS', 3);
    const v4 = rec('v4', 'DEPLOYED', 4);
    expect(await chooseTarget(newest(v1, v2, v3, v4), v4)).toBe(v1);
  });

  it('never targets the tag being rolled back, even deployed earlier', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2a = rec('v2', 'DEPLOYED', 2);
    const v2b = rec('v2', 'DEPLOYED', 3);
    expect(await chooseTarget(newest(v1, v2a, v2b), v2b)).toBe(v1);
  });

  it('targets the latest record of a redeployed tag', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v1again = rec('v1', 'DEPLOYED', 3);
    const v3 = rec('v3', 'DEPLOYED', 4);
    expect(await chooseTarget(newest(v1, v2, v1again, v3), v3)).toBe(v1again);
  });

  it('never targets a known-bad tag: one with a newer ROLLED_BACK record', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v2bad = rec('v2', 'ROLLED_BACK', 3);
    const v3 = rec('v3', 'DEPLOYED', 4);
    expect(await chooseTarget(newest(v1, v2, v2bad, v3), v3)).toBe(v1);
  });

  it('counts ROLLED_BACK records newer than the current one too', async () => {
    const v1 = rec('v1', 'DEPLOYED', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    const v2bad = rec('v2', 'ROLLED_BACK', 4);
    expect(await chooseTarget(newest(v1, v2, v3, v2bad), v3)).toBe(v1);
  });

  it('lets a tag rolled back before its good deployment be a target again', async () => {
    const v2bad = rec('v2', 'ROLLED_BACK', 1);
    const v2fixed = rec('v2', 'DEPLOYED', 2);
    const v3 = rec('v3', 'DEPLOYED', 3);
    // v2's ROLLED_BACK record is older than the DEPLOYED one, so it does not condemn it.
    expect(await chooseTarget(newest(v2bad, v2fixed, v3), v3)).toBe(v2fixed);
  });

  it('finds nothing when only the current tag or bad tags remain', async () => {
    const v1 = rec('v1', 'ROLLED_BACK', 1);
    const v2 = rec('v2', 'DEPLOYED', 2);
    expect(await chooseTarget(newest(v1, v2), v2)).toBeUndefined();
  });
});

describe('the deployments between current and target', () => {
  it('holds the current deployment and everything down to the target, newest first, target excluded', async () => {
    const older = rec('v0.9', 'DEPLOYED', 1);
    const target = rec('v1.0', 'DEPLOYED', 2);
    const failed = rec('v1.1', 'FAILED', 3);
    const middle = rec('v1.2', 'ROLLED_BACK', 4);
    const current = rec('v1.3', 'DEPLOYED', 5);
    const found = await answer(newest(older, target, failed, middle, current));
    expect(found).toMatchObject({ ok: true, current, target, between: [current, middle, failed] });
  });

  it('leaves out records newer than the current one', async () => {
    const target = rec('v1.0', 'DEPLOYED', 1);
    const current = rec('v1.1', 'DEPLOYED', 2);
    const newer = rec('v1.2', 'DEPLOYED', 3);
    const found = await answer(newest(target, current, newer), { currentTag: 'v1.1' });
    expect(found).toMatchObject({ ok: true, current, target, between: [current] });
  });
});

describe('an explicit target tag, and the refusals', () => {
  const v1 = rec('v1', 'DEPLOYED', 1);
  const v2 = rec('v2', 'DEPLOYED', 2);
  const v2bad = rec('v2', 'ROLLED_BACK', 3);
  const v3failed = rec('v3', 'FAILED', 4);
  const v4 = rec('v4', 'DEPLOYED', 5);
  const history = newest(v1, v2, v2bad, v3failed, v4);

  it('goes to the most recent DEPLOYED record of the tag older than current', async () => {
    expect(await answer(history, { targetTag: 'v1', purpose: 'act' })).toMatchObject({ ok: true, target: v1 });
  });

  it.each([
    ['a tag with no record there', 'v9', 'no-such-tag'],
    ['a tag never DEPLOYED there', 'v3', 'never-deployed'],
    ['a known-bad tag (rolled back, not DEPLOYED since)', 'v2', 'known-bad'],
    ["the current deployment's own tag", 'v4', 'is-current'],
  ])('refuses %s', async (_, targetTag, kind) => {
    expect(await outcome(history, { targetTag, purpose: 'act' })).toBe(kind);
  });

  it('refuses a tag whose records are all newer than current', async () => {
    expect(await outcome(history, { currentTag: 'v3', targetTag: 'v4' })).toBe('not-older');
  });

  it('takes a tag again once it was DEPLOYED after its rollback', async () => {
    const v2fixed = rec('v2', 'DEPLOYED', 6);
    const v5 = rec('v5', 'DEPLOYED', 7);
    expect(await outcome(newest(...[v1, v2, v2bad, v2fixed, v5]), { targetTag: 'v2', purpose: 'act' })).toBe('v2');
  });

  it('refuses, for acting, a current deployment that is not DEPLOYED or is itself a rollback; a read answers', async () => {
    const redeploy = rec('v1', 'DEPLOYED', 6);
    redeploy.rollbackOf = v4.id;
    const withRedeploy = [redeploy, ...history];
    expect(await outcome(withRedeploy, { purpose: 'act' })).toBe('current-is-rollback');
    expect(await outcome(withRedeploy, { purpose: 'resume' })).toBe('current-is-rollback');
    expect(await outcome(withRedeploy, { purpose: 'read' })).toBe('v4');
    const rolledBack = newest(v1, { ...v2, status: 'ROLLED_BACK' });
    expect(await outcome(rolledBack, { purpose: 'act' })).toBe('current-not-deployed');
    // The CLI's re-run after a failed deploy finds current ROLLED_BACK already, and resumes.
    expect(await outcome(rolledBack, { purpose: 'resume' })).toBe('v1');
  });

  it('refuses when another record than the one the caller vetted is now the most recent', async () => {
    expect(await outcome(history, { purpose: 'act', currentId: v1.id })).toBe('current-changed');
    expect(await outcome(history, { purpose: 'act', currentId: v4.id })).toBe('v1');
  });

  it("answers no-deployments and no-target with the route's messages", async () => {
    const empty = await answer([], {});
    expect(empty).toMatchObject({ ok: false, refusal: { kind: 'no-deployments', message: 'No deployments in prod.' } });
    const alone = await answer([v1], {});
    expect(alone).toMatchObject({
      ok: false,
      refusal: { kind: 'no-target', status: 404, message: 'No earlier DEPLOYED version in prod to roll back v1 to.' },
    });
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
