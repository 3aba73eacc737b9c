import { DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { toItem } from '../../functions/adapters/dynamodb/items.js';
import type { Deployment } from '../../functions/core/deployment.js';
import {
  DuplicateEventError,
  IdempotencyConflictError,
  NotFoundError,
  TransitionConflictError,
} from '../../functions/core/errors.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { findRollbackTarget } from '../../functions/core/use-cases/find-rollback-target.js';
import { listHistory } from '../../functions/core/use-cases/list-history.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { resolveTag, tagExists } from '../../functions/core/use-cases/resolve-tag.js';
import { markRolledBack, rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { freshTable } from '../support/dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
const by = { by: 'arn:aws:iam::123456789012:role/ci' };

/** Every command the store sends, by name, so a test can prove it never scans. */
function recordCommands(table: Table) {
  const sent: string[] = [];
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandNames' },
  );
  return sent;
}

/** The outbox items of an environment. A Scan is fine here: this is the test looking, not the service. */
async function outboxOf(table: Table, environment: string) {
  const result = await DynamoDBDocumentClient.from(table.raw).send(
    new ScanCommand({
      TableName: table.tableName,
      FilterExpression: 'entity = :outbox AND environment = :env',
      ExpressionAttributeValues: { ':outbox': 'outbox', ':env': environment },
    }),
  );
  return result.Items ?? [];
}

async function record(table: Table, body: Record<string, unknown>, key?: string) {
  return (await recordDeployment(table.ports, RecordDeploymentInput.parse(body), { ...by, idempotencyKey: key }))
    .record;
}

describe('the DynamoDB store (deploymentStore) on DynamoDB Local', () => {
  let table: Table;
  let commands: string[];
  beforeAll(async () => {
    table = await freshTable();
    commands = recordCommands(table);
  });

  it('writes a record that reads back identical by id and by tag', async () => {
    const written = await record(table, {
      environment: 'prod',
      imageTag: 'v2.1.0-abc1234',
      imageDigest: `sha256:${'a'.repeat(64)}`,
      migrations: [{ id: '0042_add_invoice_index', reversible: false, description: 'drops a column' }],
      deployedAt: '2026-11-27T10:00:00+01:00',
    });
    expect(written.deployedAt).toBe('2026-11-27T09:00:00.000Z');
    expect(await table.store.get(written.id)).toEqual(written);
    expect(await table.store.latestOfTag('v2.1.0-abc1234', 'prod')).toEqual(written);
    expect(Object.keys((await table.store.get(written.id)) ?? {})).toEqual(Object.keys(written));
  });

  it('lists the environments of a tag, including names that prefix each other', async () => {
    for (const environment of ['prod', 'prod-eu', 'pro', 'prod', 'a']) {
      await record(table, { environment, imageTag: 'shared-tag' });
    }
    expect(await table.store.environmentsOfTag('shared-tag')).toEqual(['a', 'pro', 'prod', 'prod-eu']);
    expect(await tagExists(table.ports, 'shared-tag', 'prod-eu')).toMatchObject({
      exists: true,
      environments: ['prod-eu'],
    });
    expect(await tagExists(table.ports, 'nope', undefined)).toEqual({
      imageTag: 'nope',
      exists: false,
      environments: [],
    });
    await expect(resolveTag(table.ports, 'shared-tag', undefined)).rejects.toMatchObject({
      status: 409,
      environments: ['a', 'pro', 'prod', 'prod-eu'],
    });
  });

  it('pages history newest first (ties by id) and fills filtered pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Pairs of records share a deployedAt: the id breaks the tie.
      const deployedAt = new Date(Date.UTC(2026, 0, 1, 0, Math.floor(i / 2))).toISOString();
      const status = i % 4 === 0 ? 'FAILED' : 'DEPLOYED';
      ids.push((await record(table, { environment: 'hist', imageTag: `h${i}`, status, deployedAt })).id);
    }
    const all: Deployment[] = [];
    let cursor: string | undefined;
    do {
      const page = await listHistory(table.ports, { environment: 'hist', limit: 5, cursor });
      expect(page.items.length).toBeLessThanOrEqual(5);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all.map((r) => r.id)).toEqual([...ids].reverse());

    const failed = await listHistory(table.ports, { environment: 'hist', limit: 2, status: 'FAILED' });
    expect(failed.items.map((r) => r.imageTag)).toEqual(['h8', 'h4']);
    const rest = await listHistory(table.ports, {
      environment: 'hist',
      limit: 2,
      status: 'FAILED',
      cursor: failed.nextCursor ?? '',
    });
    expect(rest.items.map((r) => r.imageTag)).toEqual(['h0']);
    expect(rest.nextCursor).toBeNull();
  });

  it('finishes IN_PROGRESS once, and names the status on a second try', async () => {
    const started = await record(table, { environment: 'fin', imageTag: 'f1', status: 'IN_PROGRESS' });
    const done = await table.store.finish(started.id, {
      status: 'DEPLOYED',
      notes: 'ok',
      updatedAt: '2026-11-27T11:00:00.000Z',
    });
    expect(done).toEqual({ ...started, status: 'DEPLOYED', notes: 'ok', updatedAt: '2026-11-27T11:00:00.000Z' });
    await expect(table.store.finish(started.id, { status: 'FAILED', updatedAt: 'x' })).rejects.toMatchObject({
      currentStatus: 'DEPLOYED',
    });
    await expect(
      table.store.finish('01JDQ5T2M8W3K9Z4X7V6B1N0CE', { status: 'FAILED', updatedAt: 'x' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rolls back with its outbox message in one transaction, and only from DEPLOYED', async () => {
    const good = await record(table, { environment: 'rb', imageTag: 'good' });
    const bad = await record(table, { environment: 'rb', imageTag: 'bad' });
    expect((await findRollbackTarget(table.ports, 'rb', undefined)).target.id).toBe(good.id);
    const rolled = await rollbackDeployment(table.ports, {
      imageTag: 'bad',
      environment: 'rb',
      reason: 'alarm',
      by: 'me',
    });
    expect(await table.store.get(bad.id)).toEqual(rolled);
    // DEPLOYMENT_ROLLED_BACK, and ENVIRONMENT_HELD for the hold the same write put on rb.
    const outbox = await outboxOf(table, 'rb');
    expect(outbox.map((o) => o.eventType).sort()).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ENVIRONMENT_HELD']);
    outbox.sort((a, b) => (String(a.eventType) < String(b.eventType) ? -1 : 1));
    expect(outbox[0]).toMatchObject({
      eventType: 'DEPLOYMENT_ROLLED_BACK',
      environment: 'rb',
      subject: '[rb] bad rolled back',
    });
    expect(JSON.parse(String(outbox[0]?.message))).toMatchObject({ trigger: 'manual', deployment: rolled });
    const again = rollbackDeployment(table.ports, { imageTag: 'bad', environment: 'rb', by: 'me' });
    await expect(again).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(again).rejects.toMatchObject({ currentStatus: 'ROLLED_BACK' });
  });

  it('rolls back a redeploy the tag index has not caught up with yet', async () => {
    const first = await record(table, { environment: 'lag', imageTag: 'v7' });
    // A redeploy of v7 written a moment ago: in the table, not yet in the ByTag index (AWS
    // indexes asynchronously; DynamoDB Local does not, so the item is written without its
    // index keys to stand for that moment).
    const redeploy = { ...first, id: table.ports.newId(), deployedAt: new Date(Date.now() + 1000).toISOString() };
    const { GSI1PK, GSI1SK, ...unindexed } = toItem(redeploy);
    await DynamoDBDocumentClient.from(table.raw).send(new PutCommand({ TableName: table.tableName, Item: unindexed }));
    expect((await table.store.latestOfTag('v7', 'lag'))?.id).toBe(first.id);

    const rolled = await rollbackDeployment(table.ports, { imageTag: 'v7', environment: 'lag', by: 'me' });
    expect(rolled.id).toBe(redeploy.id);
    expect((await table.store.get(first.id))?.status).toBe('DEPLOYED');
  });

  it('claims a dedup key once: a redelivered trigger writes nothing', async () => {
    const first = await record(table, { environment: 'dedup', imageTag: 'd1' });
    const second = await record(table, { environment: 'dedup', imageTag: 'd2' });
    const how = {
      by: 'auto-rollback:HighErrors',
      reason: 'errors',
      alarm: null,
      dedupKey: 'arn:alarm#2026-11-27T10:00:00.000Z',
    };
    await markRolledBack(table.ports, second, how);
    await expect(markRolledBack(table.ports, first, how)).rejects.toBeInstanceOf(DuplicateEventError);
    expect((await table.store.get(first.id))?.status).toBe('DEPLOYED');
    await expect(table.store.emit([], { dedupKey: how.dedupKey })).rejects.toBeInstanceOf(DuplicateEventError);
  });

  it('settles concurrent creates under one Idempotency-Key to a single record', async () => {
    const body = { environment: 'idem', imageTag: 'i1' };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        recordDeployment(table.ports, RecordDeploymentInput.parse(body), { ...by, idempotencyKey: 'pipeline-run-7' }),
      ),
    );
    const records = results.map((r) => (r.status === 'fulfilled' ? r.value.record.id : String(r.reason)));
    expect(new Set(records).size).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled' && !r.value.replayed)).toHaveLength(1);
    expect((await table.store.page('idem', { limit: 10 })).items).toHaveLength(1);
    await expect(record(table, { ...body, notes: 'different' }, 'pipeline-run-7')).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });

  it('treats an expired Idempotency-Key as unused, though TTL has not deleted it yet', async () => {
    const body = { environment: 'idem-expired', imageTag: 'i1' };
    const first = await record(table, body, 'pipeline-run-8');
    // What the key's item looks like a day later, before DynamoDB's TTL sweeps it away.
    const documents = DynamoDBDocumentClient.from(table.raw);
    await documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: 'IDEMPOTENCY#pipeline-run-8', SK: 'IDEMPOTENCY' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    // Another body under the expired key is a new deployment, not a 409; the same body is not a replay.
    const other = await recordDeployment(table.ports, RecordDeploymentInput.parse({ ...body, notes: 'later' }), {
      ...by,
      idempotencyKey: 'pipeline-run-8',
    });
    expect(other.replayed).toBe(false);
    expect(other.record.id).not.toBe(first.id);
    // The key now belongs to the new request for its own 24 hours.
    const replay = await recordDeployment(table.ports, RecordDeploymentInput.parse({ ...body, notes: 'later' }), {
      ...by,
      idempotencyKey: 'pipeline-run-8',
    });
    expect(replay).toEqual({ record: other.record, replayed: true });
    expect((await table.store.page('idem-expired', { limit: 10 })).items).toHaveLength(2);
  });

  it('served every access pattern above with GetItem, Query or writes: never a Scan', () => {
    expect(commands.length).toBeGreaterThan(20);
    // Finishing is a transaction too now: it keeps the environment item's current record.
    expect(new Set(commands)).toEqual(new Set(['GetItemCommand', 'QueryCommand', 'TransactWriteItemsCommand']));
  });
});
