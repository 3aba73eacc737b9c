import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { readsAndHolds } from '../../functions/adapters/dynamodb/holds.js';
import type { Deployment } from '../../functions/core/deployment.js';
import {
  EnvironmentHeldError,
  KnownBadImageTagError,
  NotFoundError,
  NotHeldError,
} from '../../functions/core/errors.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { checkGate } from '../../functions/core/use-cases/check-gate.js';
import {
  type HoldPorts,
  holdEnvironment,
  releaseEnvironment,
} from '../../functions/core/use-cases/hold-environment.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { markRolledBack, rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { freshTable } from '../support/dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
const tableOf = (t: Table) => ({ client: t.client, tableName: t.tableName });
const ci = { by: 'arn:aws:iam::123456789012:role/ci' };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

async function record(table: Table, body: Record<string, unknown>): Promise<Deployment> {
  return (await recordDeployment(table.ports, RecordDeploymentInput.parse(body), ci)).record;
}

/** The outbox messages of one type in an environment, as stored. A Scan: the test looking, not the service. */
async function messages(table: Table, environment: string, eventType: string) {
  const result = await DynamoDBDocumentClient.from(table.raw).send(
    new ScanCommand({
      TableName: table.tableName,
      FilterExpression: 'entity = :outbox AND environment = :env AND eventType = :type',
      ExpressionAttributeValues: { ':outbox': 'outbox', ':env': environment, ':type': eventType },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((i) => JSON.parse(String(i.message)));
}

/** Every TransactWriteItems the store sends, as the store sent it. */
function transactions(table: Table) {
  const sent: { TransactItems: Record<string, { Key?: unknown; UpdateExpression?: string }>[] }[] = [];
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'TransactWriteItemsCommand') sent.push(structuredClone(args.input) as never);
      return next(args);
    },
    { step: 'initialize', name: 'recordTransactions' },
  );
  return sent;
}

/** Two DEPLOYED records in `environment`: v1 (older) and v2 (current). */
async function twoDeployed(table: Table, environment: string) {
  const v1 = await record(table, { environment, imageTag: 'v1', deployedAt: minutesAgo(30) });
  const v2 = await record(table, { environment, imageTag: 'v2', deployedAt: minutesAgo(20) });
  return { v1, v2 };
}

describe('the automatic hold, on DynamoDB Local', () => {
  let table: Table;
  beforeAll(async () => {
    table = await freshTable();
  });

  it('is written in the one transaction that marks the record ROLLED_BACK, with ENVIRONMENT_HELD', async () => {
    await twoDeployed(table, 'atomic');
    const sent = transactions(table);
    const rolled = await rollbackDeployment(table.ports, {
      imageTag: 'v2',
      environment: 'atomic',
      by: 'arn:aws:iam::123456789012:role/oncall',
      reason: 'p99 doubled',
    });
    // One transaction carries the status change, the outbox items and the hold: a crash
    // between the status change and the hold is impossible, there is no between.
    expect(sent).toHaveLength(1);
    const items = sent[0]?.TransactItems ?? [];
    const updates = items.map((i) => i.Update).filter((u) => u !== undefined);
    expect(updates.map((u) => u.Key)).toEqual([
      { PK: 'ENV#atomic', SK: `DEP#${rolled.deployedAt}#${rolled.id}` },
      { PK: 'ENVIRONMENTS', SK: 'ENV#atomic' },
    ]);
    expect(updates[1]?.UpdateExpression).toContain('#hold = :hold');
    const state = await table.store.environment('atomic');
    expect(state?.hold).toEqual({
      reason: 'v2 rolled back: p99 doubled',
      by: 'arn:aws:iam::123456789012:role/oncall',
      since: rolled.rolledBackAt,
      cause: { kind: 'rollback', deploymentId: rolled.id, runId: null },
    });
    const held = await messages(table, 'atomic', 'ENVIRONMENT_HELD');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ eventType: 'ENVIRONMENT_HELD', environment: 'atomic', hold: state?.hold });
    expect(await messages(table, 'atomic', 'DEPLOYMENT_ROLLED_BACK')).toHaveLength(1);
  });

  it('keeps an existing hold: a second rollback changes neither the hold nor writes a second ENVIRONMENT_HELD', async () => {
    await twoDeployed(table, 'again');
    await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'again', ...ci, reason: 'first' });
    const first = (await table.store.environment('again'))?.hold;
    // The older record, v1, is not current: the hold is still conditional, and kept.
    const v1 = await rollbackDeployment(table.ports, { imageTag: 'v1', environment: 'again', ...ci, reason: 'second' });
    expect(v1.status).toBe('ROLLED_BACK');
    const state = await table.store.environment('again');
    expect(state?.hold).toEqual(first);
    expect(state?.rollbacks).toBe(2);
    expect(await messages(table, 'again', 'ENVIRONMENT_HELD')).toHaveLength(1);
    expect(await messages(table, 'again', 'DEPLOYMENT_ROLLED_BACK')).toHaveLength(2);
  });

  it('holds nothing in an environment holdAfterRollback leaves out, and holds those it names', async () => {
    const ports = { ...table.ports, holdAfterRollback: ['prod'] };
    await twoDeployed(table, 'dev');
    await rollbackDeployment(ports, { imageTag: 'v2', environment: 'dev', ...ci });
    expect((await table.store.environment('dev'))?.hold).toBeNull();
    expect(await messages(table, 'dev', 'ENVIRONMENT_HELD')).toEqual([]);
    expect((await table.store.environment('dev'))?.current?.status).toBe('ROLLED_BACK');
    await twoDeployed(table, 'prod');
    await rollbackDeployment(ports, { imageTag: 'v2', environment: 'prod', ...ci });
    expect((await table.store.environment('prod'))?.hold?.cause.kind).toBe('rollback');
  });

  it("names the run in the hold's cause when a run's mark step rolls back", async () => {
    const { v2 } = await twoDeployed(table, 'run');
    await markRolledBack(table.ports, v2, { by: 'auto-rollback:run-5xx', reason: 'alarm', alarm: null, runId: 'RUN1' });
    expect((await table.store.environment('run'))?.hold).toMatchObject({
      by: 'auto-rollback:run-5xx',
      cause: { kind: 'rollback', deploymentId: v2.id, runId: 'RUN1' },
    });
  });

  it('of racing rollbacks of different records, leaves one hold and one ENVIRONMENT_HELD', async () => {
    for (let round = 0; round < 3; round++) {
      const environment = `race-${round}`;
      const records: Deployment[] = [];
      for (let i = 0; i < 4; i++) {
        records.push(await record(table, { environment, imageTag: `v${i}`, deployedAt: minutesAgo(40 - i) }));
      }
      const results = await Promise.allSettled(
        records.map((r) => rollbackDeployment(table.ports, { imageTag: r.imageTag, environment, ...ci, reason: r.id })),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const held = await messages(table, environment, 'ENVIRONMENT_HELD');
      expect(held).toHaveLength(1);
      const state = await table.store.environment(environment);
      expect(state?.hold).toEqual(held[0].hold);
      expect(state?.rollbacks).toBe(4);
      // The winner's record is the one the hold names.
      expect(records.map((r) => r.id)).toContain(state?.hold?.cause.deploymentId);
    }
  });

  it('of racing rollbacks of the same record, makes one rollback, one hold and one ENVIRONMENT_HELD', async () => {
    await twoDeployed(table, 'same');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'same', ...ci })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await messages(table, 'same', 'ENVIRONMENT_HELD')).toHaveLength(1);
    expect((await table.store.environment('same'))?.rollbacks).toBe(1);
  });
});

describe('manual holds, the guards on POST /, and the gate, on DynamoDB Local', () => {
  let table: Table;
  let held: HoldPorts;
  beforeAll(async () => {
    table = await freshTable();
    held = { ...table.ports, deployments: readsAndHolds(tableOf(table)), redeployVia: () => null };
  });

  const start = (environment: string, imageTag: string, extra: Record<string, unknown> = {}) =>
    record(table, { environment, imageTag, status: 'IN_PROGRESS', ...extra });
  const historyOf = async (environment: string) => (await table.store.page(environment, { limit: 100 })).items;

  it('holds and releases by hand, each with its notification; a second hold and a release of nothing are 409s', async () => {
    await record(table, { environment: 'freeze', imageTag: 'v1' });
    const item = await holdEnvironment(held, { environment: 'freeze', reason: 'quarter close', by: 'arn:ops' });
    expect(item.hold).toMatchObject({ reason: 'quarter close', by: 'arn:ops', cause: { kind: 'manual' } });
    const again = holdEnvironment(held, { environment: 'freeze', reason: 'twice', by: 'arn:ops' });
    await expect(again).rejects.toBeInstanceOf(EnvironmentHeldError);
    await expect(again).rejects.toMatchObject({ hold: item.hold });
    const released = await releaseEnvironment(held, { environment: 'freeze', reason: 'closed', by: 'arn:lead' });
    expect(released.hold).toBeNull();
    await expect(
      releaseEnvironment(held, { environment: 'freeze', reason: 'x', by: 'arn:lead' }),
    ).rejects.toBeInstanceOf(NotHeldError);
    await expect(holdEnvironment(held, { environment: 'nothing', reason: 'x', by: 'a' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await messages(table, 'freeze', 'ENVIRONMENT_HELD')).toHaveLength(1);
    expect(await messages(table, 'freeze', 'ENVIRONMENT_RELEASED')).toEqual([
      expect.objectContaining({ hold: item.hold, reason: 'closed', by: 'arn:lead' }),
    ]);
  });

  it('of concurrent holds one wins, of concurrent releases one wins', async () => {
    await record(table, { environment: 'contend', imageTag: 'v1' });
    const holds = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => holdEnvironment(held, { environment: 'contend', reason: `h${i}`, by: 'a' })),
    );
    expect(holds.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const releases = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        releaseEnvironment(held, { environment: 'contend', reason: `r${i}`, by: 'b' }),
      ),
    );
    expect(releases.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(releases.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual(
      Array.from({ length: 4 }, () => expect.any(NotHeldError)),
    );
    expect(await messages(table, 'contend', 'ENVIRONMENT_HELD')).toHaveLength(1);
    expect(await messages(table, 'contend', 'ENVIRONMENT_RELEASED')).toHaveLength(1);
  });

  it('refuses an IN_PROGRESS start into a held environment, writing nothing; takes after-the-fact records and redeploys', async () => {
    const { v1, v2 } = await twoDeployed(table, 'held');
    await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'held', ...ci, reason: 'bad' });
    const hold = (await table.store.environment('held'))?.hold;
    const before = await historyOf('held');
    const refused = start('held', 'v3');
    await expect(refused).rejects.toBeInstanceOf(EnvironmentHeldError);
    await expect(refused).rejects.toMatchObject({ hold });
    expect(await historyOf('held')).toEqual(before);
    expect(await messages(table, 'held', 'GUARD_BYPASSED')).toEqual([]);
    // It already happened: history stays true, and the bypass is published.
    const late = await record(table, { environment: 'held', imageTag: 'v3', status: 'FAILED' });
    const bypassed = await messages(table, 'held', 'GUARD_BYPASSED');
    expect(bypassed).toEqual([expect.objectContaining({ guard: 'hold', deployment: late, override: null, hold })]);
    // A rollback's redeploy is never refused, and publishes nothing.
    const redeploy = await start('held', 'v1', { rollbackOf: v2.id });
    expect(redeploy.rollbackOf).toBe(v2.id);
    expect(await messages(table, 'held', 'GUARD_BYPASSED')).toHaveLength(1);
    expect(v1.override).toBeNull();
  });

  it('refuses an IN_PROGRESS start of a known-bad tag, naming the ROLLED_BACK record, until the tag is DEPLOYED again', async () => {
    const { v2 } = await twoDeployed(table, 'bad');
    await rollbackDeployment({ ...table.ports, holdAfterRollback: [] }, { imageTag: 'v2', environment: 'bad', ...ci });
    const refused = start('bad', 'v2');
    await expect(refused).rejects.toBeInstanceOf(KnownBadImageTagError);
    await expect(refused).rejects.toMatchObject({ deploymentId: v2.id });
    // Another tag starts; an after-the-fact DEPLOYED record of v2 goes through (GUARD_BYPASSED) ...
    await start('bad', 'v3');
    await record(table, { environment: 'bad', imageTag: 'v2', status: 'DEPLOYED' });
    expect(await messages(table, 'bad', 'GUARD_BYPASSED')).toEqual([
      expect.objectContaining({ guard: 'known-bad', deployment: expect.objectContaining({ imageTag: 'v2' }) }),
    ]);
    // ... and makes v2 good again.
    expect((await start('bad', 'v2')).status).toBe('IN_PROGRESS');
  });

  it('lets an override through both guards, keeping it on the record with the caller, and publishes each bypass', async () => {
    await twoDeployed(table, 'override');
    await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'override', ...ci });
    const forced = await start('override', 'v2', { override: { reason: 'hotfix is in v2 after all' } });
    expect(forced.override).toEqual({ reason: 'hotfix is in v2 after all', by: ci.by });
    expect(await table.store.get(forced.id)).toEqual(forced);
    const bypassed = await messages(table, 'override', 'GUARD_BYPASSED');
    expect(bypassed.map((m) => m.guard).sort()).toEqual(['hold', 'known-bad']);
    for (const m of bypassed) expect(m.override).toEqual(forced.override);
  });

  it('never lets a start slip past a hold or a rollback written between the guards and the write', async () => {
    /** The store, with `between` run once after the guards read the environment item and before the write. */
    const interleaved = (between: () => Promise<unknown>) => {
      let done = false;
      return {
        ...table.ports,
        deployments: {
          ...table.store,
          async *tagRecords(imageTag: string, environment: string) {
            if (!done) {
              done = true;
              await between();
            }
            yield* table.store.tagRecords(imageTag, environment);
          },
        },
      };
    };
    await record(table, { environment: 'slip', imageTag: 'v1' });
    const holding = interleaved(() => holdEnvironment(held, { environment: 'slip', reason: 'freeze', by: 'ops' }));
    const input = RecordDeploymentInput.parse({ environment: 'slip', imageTag: 'v2', status: 'IN_PROGRESS' });
    await expect(recordDeployment(holding, input, ci)).rejects.toBeInstanceOf(EnvironmentHeldError);
    expect((await historyOf('slip')).map((r) => r.imageTag)).toEqual(['v1']);

    const { v2 } = await twoDeployed(table, 'slip-bad');
    const rollingBack = interleaved(() =>
      rollbackDeployment({ ...table.ports, holdAfterRollback: [] }, { imageTag: 'v2', environment: 'slip-bad', ...ci }),
    );
    const again = RecordDeploymentInput.parse({ environment: 'slip-bad', imageTag: 'v2', status: 'IN_PROGRESS' });
    // The guards read "not known bad" (v2 DEPLOYED); the rollback lands; the write fails on the
    // count of rollbacks, and the guards, deciding again, refuse.
    await expect(recordDeployment(rollingBack, again, ci)).rejects.toMatchObject({ deploymentId: v2.id });
    expect((await historyOf('slip-bad')).map((r) => r.status)).toEqual(['ROLLED_BACK', 'DEPLOYED']);
  });

  it('a retry of an accepted start under its Idempotency-Key gets the first response, though the environment is held since', async () => {
    await record(table, { environment: 'retry', imageTag: 'v1' });
    const input = RecordDeploymentInput.parse({ environment: 'retry', imageTag: 'v2', status: 'IN_PROGRESS' });
    const first = await recordDeployment(table.ports, input, { ...ci, idempotencyKey: 'run-77' });
    await holdEnvironment(held, { environment: 'retry', reason: 'freeze', by: 'ops' });
    expect(await recordDeployment(table.ports, input, { ...ci, idempotencyKey: 'run-77' })).toEqual({
      record: first.record,
      replayed: true,
    });
    // A new start, or the same start under a new key, is refused.
    await expect(recordDeployment(table.ports, input, { ...ci, idempotencyKey: 'run-78' })).rejects.toBeInstanceOf(
      EnvironmentHeldError,
    );
    expect((await historyOf('retry')).map((r) => r.imageTag)).toEqual(['v2', 'v1']);
  });

  it('a guarded start older than the current record is written with its guards as a ConditionCheck', async () => {
    const v1 = await record(table, { environment: 'older', imageTag: 'v1' });
    const sent = transactions(table);
    const late = await start('older', 'v0', { deployedAt: minutesAgo(10) });
    expect(late.status).toBe('IN_PROGRESS');
    expect((await table.store.environment('older'))?.current?.id).toBe(v1.id);
    // The first try's Update of the environment item failed on `current` alone; the second
    // carries the guards' condition as a ConditionCheck of the item.
    expect(sent.at(-1)?.TransactItems.some((i) => 'ConditionCheck' in i)).toBe(true);
  });

  it('of a start racing a hold, either the start landed first or it is refused: never written after', async () => {
    for (let round = 0; round < 5; round++) {
      const environment = `race-hold-${round}`;
      await record(table, { environment, imageTag: 'v1' });
      const [started, holding] = await Promise.allSettled([
        start(environment, 'v2'),
        holdEnvironment(held, { environment, reason: 'freeze', by: 'ops' }),
      ]);
      expect(holding.status).toBe('fulfilled');
      const written = (await historyOf(environment)).some((r) => r.imageTag === 'v2');
      if (started.status === 'rejected') {
        expect(started.reason).toBeInstanceOf(EnvironmentHeldError);
        expect(written).toBe(false);
      } else expect(written).toBe(true);
    }
  });

  it('the gate: allowed, held, known bad, and with requireReady the stored readiness', async () => {
    const gate = (environment: string, imageTag: string, requireReady = false) =>
      checkGate(table.ports, { environment, imageTag, requireReady });
    expect(await gate('no-records', 'v1')).toEqual({
      environment: 'no-records',
      imageTag: 'v1',
      allowed: true,
      reasons: [],
      hold: null,
      readiness: null,
    });
    await twoDeployed(table, 'gate');
    expect(await gate('gate', 'v3')).toMatchObject({ allowed: true, reasons: [] });
    const notChecked = await gate('gate', 'v3', true);
    expect(notChecked).toMatchObject({
      allowed: false,
      reasons: [{ guard: 'readiness', detail: 'readiness not yet checked in gate' }],
    });
    await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'gate', ...ci, reason: 'bad' });
    const answer = await gate('gate', 'v2');
    expect(answer.allowed).toBe(false);
    expect(answer.reasons.map((r) => r.guard)).toEqual(['hold', 'known-bad']);
    expect(answer.hold).toEqual((await table.store.environment('gate'))?.hold);
    // The readiness summary as the refresh stores it (an attribute of the item's own).
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: 'ENVIRONMENTS', SK: 'ENV#gate' },
        UpdateExpression: 'SET readiness = :r REMOVE #hold',
        ExpressionAttributeNames: { '#hold': 'hold' },
        ExpressionAttributeValues: {
          ':r': { ready: false, checkedAt: '2026-12-02T10:00:00.000Z', failing: ['image'] },
        },
      }),
    );
    expect((await gate('gate', 'v3', true)).reasons).toEqual([
      {
        guard: 'readiness',
        detail: 'gate is not ready for a rollback (checked 2026-12-02T10:00:00.000Z): failing image',
      },
    ]);
    expect(await gate('gate', 'v3', false)).toMatchObject({ allowed: true, readiness: { ready: false } });
  });
});
