import { describe, expect, it } from 'vitest';
import { canTransition, STATUSES } from '../../functions/core/deployment.js';
import {
  AmbiguousTagError,
  IdempotencyConflictError,
  InvalidInputError,
  NotFoundError,
  TransitionConflictError,
} from '../../functions/core/errors.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { finishDeployment } from '../../functions/core/use-cases/finish-deployment.js';
import { listHistory } from '../../functions/core/use-cases/list-history.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { resolveTag, tagExists } from '../../functions/core/use-cases/resolve-tag.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { memoryPorts } from '../support/memory-store.js';

const input = (body: Record<string, unknown>) => RecordDeploymentInput.parse(body);
const by = { by: 'arn:aws:sts::123456789012:assumed-role/ci/run-1' };

describe('transitions', () => {
  it('allow exactly the contract table', () => {
    const allowed = STATUSES.flatMap((from) =>
      STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`),
    );
    expect(allowed.sort()).toEqual(['DEPLOYED>ROLLED_BACK', 'IN_PROGRESS>DEPLOYED', 'IN_PROGRESS>FAILED']);
  });

  it('finish moves IN_PROGRESS on once; a second finish is a conflict naming the status', async () => {
    const { ports } = memoryPorts();
    const { record } = await recordDeployment(
      ports,
      input({ environment: 'prod', imageTag: 'v1', status: 'IN_PROGRESS' }),
      by,
    );
    const done = await finishDeployment(ports, record.id, { status: 'FAILED', notes: 'smoke tests failed' });
    expect(done).toMatchObject({ status: 'FAILED', notes: 'smoke tests failed' });
    const again = finishDeployment(ports, record.id, { status: 'DEPLOYED' });
    await expect(again).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(again).rejects.toMatchObject({ currentStatus: 'FAILED' });
  });

  it('rollback refuses anything but DEPLOYED and leaves it unchanged', async () => {
    const { ports, store } = memoryPorts();
    const { record } = await recordDeployment(
      ports,
      input({ environment: 'prod', imageTag: 'v1', status: 'FAILED' }),
      by,
    );
    await expect(rollbackDeployment(ports, { imageTag: 'v1', by: 'x' })).rejects.toMatchObject({
      currentStatus: 'FAILED',
    });
    expect((await store.get(record.id))?.status).toBe('FAILED');
    expect(store.outbox).toHaveLength(0);
  });
});

describe('recordDeployment', () => {
  it('fills every optional field with null or [] and takes deployedBy from the caller', async () => {
    const { ports } = memoryPorts();
    const { record } = await recordDeployment(ports, input({ environment: 'prod', imageTag: 'v1' }), by);
    expect(record).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      environment: 'prod',
      imageTag: 'v1',
      imageDigest: null,
      status: 'DEPLOYED',
      deployedAt: '2026-11-27T10:00:00.000Z',
      deployedBy: by.by,
      version: null,
      commitSha: null,
      commitAt: null,
      notes: null,
      migrations: [],
      pipelineRunUrl: null,
      rollbackOf: null,
      rolledBackAt: null,
      rolledBackBy: null,
      rollbackReason: null,
      override: null,
      updatedAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it('accepts deployedAt up to five minutes ahead, and not beyond', async () => {
    const { ports } = memoryPorts();
    const ok = await recordDeployment(
      ports,
      input({ environment: 'prod', imageTag: 'v1', deployedAt: '2026-11-27T10:05:00Z' }),
      by,
    );
    expect(ok.record.deployedAt).toBe('2026-11-27T10:05:00.000Z');
    const late = recordDeployment(
      ports,
      input({ environment: 'prod', imageTag: 'v1', deployedAt: '2026-11-27T10:05:01Z' }),
      by,
    );
    await expect(late).rejects.toMatchObject({ errors: [{ field: 'deployedAt' }] });
  });

  it('requires rollbackOf to name a record in the same environment', async () => {
    const { ports } = memoryPorts();
    const { record: staging } = await recordDeployment(ports, input({ environment: 'staging', imageTag: 'v1' }), by);
    const wrongEnv = recordDeployment(
      ports,
      input({ environment: 'prod', imageTag: 'v0', rollbackOf: staging.id }),
      by,
    );
    await expect(wrongEnv).rejects.toBeInstanceOf(InvalidInputError);
    await expect(wrongEnv).rejects.toMatchObject({ errors: [{ field: 'rollbackOf' }] });
    const fine = await recordDeployment(
      ports,
      input({ environment: 'staging', imageTag: 'v0', rollbackOf: staging.id }),
      by,
    );
    expect(fine.record.rollbackOf).toBe(staging.id);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another', async () => {
    const { ports, store, advance } = memoryPorts();
    const body = { environment: 'prod', imageTag: 'v1', notes: 'a' };
    const first = await recordDeployment(ports, input(body), { ...by, idempotencyKey: 'run-42' });
    advance(60_000);
    // Same members in another order: the same request.
    const again = await recordDeployment(ports, input({ notes: 'a', imageTag: 'v1', environment: 'prod' }), {
      ...by,
      idempotencyKey: 'run-42',
    });
    expect(again).toEqual({ record: first.record, replayed: true });
    expect(store.records.size).toBe(1);
    const other = recordDeployment(ports, input({ ...body, notes: 'b' }), { ...by, idempotencyKey: 'run-42' });
    await expect(other).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(store.records.size).toBe(1);
  });
});

describe('tag resolution', () => {
  async function twoEnvironments() {
    const { ports, advance } = memoryPorts();
    const a = await recordDeployment(ports, input({ environment: 'staging', imageTag: 'v1' }), by);
    advance(1000);
    const b = await recordDeployment(ports, input({ environment: 'prod', imageTag: 'v1' }), by);
    advance(1000);
    const c = await recordDeployment(ports, input({ environment: 'prod', imageTag: 'v1', notes: 'redeploy' }), by);
    return { ports, staging: a.record, prodOld: b.record, prodNew: c.record };
  }

  it('with an environment, takes the most recent record of the tag there', async () => {
    const { ports, prodNew, staging } = await twoEnvironments();
    expect((await resolveTag(ports, 'v1', 'prod')).id).toBe(prodNew.id);
    expect((await resolveTag(ports, 'v1', 'staging')).id).toBe(staging.id);
  });

  it('without one, refuses to guess between environments and lists them', async () => {
    const { ports } = await twoEnvironments();
    const guess = resolveTag(ports, 'v1', undefined);
    await expect(guess).rejects.toBeInstanceOf(AmbiguousTagError);
    await expect(guess).rejects.toMatchObject({ environments: ['prod', 'staging'] });
  });

  it('without one, takes the only environment the tag lives in', async () => {
    const { ports } = memoryPorts();
    const { record } = await recordDeployment(ports, input({ environment: 'prod', imageTag: 'v2' }), by);
    expect((await resolveTag(ports, 'v2', undefined)).id).toBe(record.id);
  });

  it('is NotFound for an unknown tag or a tag absent from the environment', async () => {
    const { ports } = await twoEnvironments();
    await expect(resolveTag(ports, 'v9', undefined)).rejects.toBeInstanceOf(NotFoundError);
    await expect(resolveTag(ports, 'v1', 'dev')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('exists reports the environments, limited to the one asked for', async () => {
    const { ports } = await twoEnvironments();
    expect(await tagExists(ports, 'v1', undefined)).toEqual({
      imageTag: 'v1',
      exists: true,
      environments: ['prod', 'staging'],
    });
    expect(await tagExists(ports, 'v1', 'prod')).toEqual({ imageTag: 'v1', exists: true, environments: ['prod'] });
    expect(await tagExists(ports, 'v1', 'dev')).toEqual({ imageTag: 'v1', exists: false, environments: [] });
  });
});

describe('rollbackDeployment', () => {
  it('marks the record and puts one DEPLOYMENT_ROLLED_BACK message in the outbox, and holds the environment', async () => {
    const { ports, store } = memoryPorts();
    await recordDeployment(ports, input({ environment: 'prod', imageTag: 'v1' }), by);
    const rolled = await rollbackDeployment(ports, { imageTag: 'v1', reason: 'errors', by: 'arn:me' });
    expect(rolled).toMatchObject({ status: 'ROLLED_BACK', rolledBackBy: 'arn:me', rollbackReason: 'errors' });
    expect(rolled.rolledBackAt).toBe('2026-11-27T10:00:00.000Z');
    expect(store.outbox.map((e) => e.message.eventType)).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ENVIRONMENT_HELD']);
    expect(store.holds.get('prod')).toEqual({
      reason: 'v1 rolled back: errors',
      by: 'arn:me',
      since: '2026-11-27T10:00:00.000Z',
      cause: { kind: 'rollback', deploymentId: rolled.id, runId: null },
    });
    expect(store.outbox[0]?.message).toMatchObject({
      version: 1,
      eventType: 'DEPLOYMENT_ROLLED_BACK',
      environment: 'prod',
      trigger: 'manual',
      alarm: null,
      deployment: rolled,
    });
    expect(store.outbox[0]?.subject).toBe('[prod] v1 rolled back');
  });

  it('holds nothing where holdAfterRollback leaves the environment out', async () => {
    const { ports, store } = memoryPorts();
    await recordDeployment(ports, input({ environment: 'dev', imageTag: 'v1' }), by);
    await rollbackDeployment({ ...ports, holdAfterRollback: ['prod'] }, { imageTag: 'v1', by: 'arn:me' });
    expect(store.outbox.map((e) => e.message.eventType)).toEqual(['DEPLOYMENT_ROLLED_BACK']);
    expect(store.holds.has('dev')).toBe(false);
  });
});

describe('listHistory', () => {
  async function history(count: number) {
    const { ports, advance } = memoryPorts();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const status = i % 3 === 0 ? 'FAILED' : 'DEPLOYED';
      ids.push(
        (await recordDeployment(ports, input({ environment: 'prod', imageTag: `v${i}`, status }), by)).record.id,
      );
      advance(1000);
    }
    return { ports, ids: ids.reverse() };
  }

  it('pages newest first with no gap and no repeat, and ends with a null cursor', async () => {
    const { ports, ids } = await history(7);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listHistory(ports, { environment: 'prod', limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((r) => r.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(ids);
  });

  it('fills a filtered page up to the limit', async () => {
    const { ports } = await history(9);
    const page = await listHistory(ports, { environment: 'prod', limit: 3, status: 'FAILED' });
    expect(page.items.map((r) => r.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(page.nextCursor).toBeNull();
  });

  it('refuses a cursor from another query and a damaged one', async () => {
    const { ports } = await history(4);
    const { nextCursor } = await listHistory(ports, { environment: 'prod', limit: 1 });
    expect(nextCursor).toEqual(expect.any(String));
    const cursor = nextCursor ?? '';
    await expect(listHistory(ports, { environment: 'staging', limit: 1, cursor })).rejects.toMatchObject({
      errors: [{ field: 'cursor' }],
    });
    await expect(
      listHistory(ports, { environment: 'prod', limit: 1, status: 'FAILED', cursor }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      listHistory(ports, { environment: 'prod', limit: 1, cursor: `${cursor.slice(0, -4)}AAAA` }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(listHistory(ports, { environment: 'prod', limit: 1, cursor: 'not a cursor!' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });
});
