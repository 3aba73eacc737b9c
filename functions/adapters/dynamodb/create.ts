/**
 * Records a new deployment (RecordDeployment): the record, its id pointer and the
 * Idempotency-Key's item in one transaction with the environment item's `current`.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Deployment } from '../../core/deployment.js';
import { IdempotencyConflictError } from '../../core/errors.js';
import type { CreateOptions, DeploymentReader, DeploymentStore } from '../../core/ports.js';
import { fromItem, idempotencyKey, idKey, sortKey, TTL, toItem } from './items.js';
import { eventWrites, transactKeepingCurrent } from './keep-current.js';
import { deploymentReader } from './reads.js';
import { failedCondition, getItem, nowSeconds, type Table } from './table.js';

/**
 * Writes a new record. With an idempotency key, the first write under that key wins: a later
 * call with the same fingerprint gets the first record back (`replayed: true`), one with
 * another fingerprint throws IdempotencyConflictError. `options.events` go to the outbox in the
 * same transaction; with `options.guard`, the write is conditional on the environment item
 * (no hold, the rollbacks counted as read): GuardChangedError when that no longer holds.
 */
export async function create(
  table: Table,
  record: Deployment,
  idempotency?: { key: string; fingerprint: string },
  options: CreateOptions = {},
): Promise<{ record: Deployment; replayed: boolean }> {
  const now = nowSeconds();
  const transaction: TransactWriteCommandInput = {
    TransactItems: [
      { Put: { TableName: table.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(PK)' } },
      {
        Put: {
          TableName: table.tableName,
          Item: { ...idKey(record.id), entity: 'id', environment: record.environment, recordSK: sortKey(record) },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    ],
  };
  if (idempotency) {
    transaction.TransactItems?.push({
      Put: {
        TableName: table.tableName,
        Item: {
          ...idempotencyKey(idempotency.key),
          entity: 'idempotency',
          fingerprint: idempotency.fingerprint,
          response: record,
          expiresAt: now + TTL.idempotency,
        },
        // An expired key counts as unused: DynamoDB's TTL deletes expired items lazily (up to
        // days later), so without this a key would replay or 409 long after its 24 hours.
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': now },
      },
    });
  }
  // After the idempotency item, so the indices above hold: GUARD_BYPASSED and the like.
  transaction.TransactItems?.push(...eventWrites(table, options.events ?? [], undefined));
  try {
    await transactKeepingCurrent(table, 'create', transaction, record, 'newer', options.guard);
    return { record, replayed: false };
  } catch (error) {
    if (!idempotency || !failedCondition(error, 2)) throw error;
  }
  const first = await replay(table, idempotency);
  if (!first) throw new Error('idempotency item vanished after a conditional failure');
  return { record: first, replayed: true };
}

/** The first response under an Idempotency-Key still in force (see DeploymentStore.replay). */
export async function replay(
  table: Table,
  idempotency: { key: string; fingerprint: string },
): Promise<Deployment | undefined> {
  const first = await getItem(table, 'create.idempotency', idempotencyKey(idempotency.key));
  if (!first || (typeof first.expiresAt === 'number' && first.expiresAt <= nowSeconds())) return undefined;
  if (first.fingerprint !== idempotency.fingerprint) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was first used with a different request body; use a new key for a new deployment.',
    );
  }
  return fromItem(first.response as Record<string, unknown>);
}

/** The reads and this write: the store of a function that records deployments (its bundle holds no other write). */
export function readsAndCreate(table: Table): DeploymentReader & Pick<DeploymentStore, 'create' | 'replay'> {
  return {
    ...deploymentReader(table),
    create: (record, idempotency, options) => create(table, record, idempotency, options),
    replay: (idempotency) => replay(table, idempotency),
  };
}
