/**
 * What the writes of the deployment records share: the transaction that keeps a record's
 * environment item `current` in the same write, and the dedup claim and outbox puts that go
 * with a change. Each write is a module of its own (create.ts, finish.ts, mark-rolled-back.ts),
 * so that a function bundles the writes it makes and not the others.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deployment } from '../../core/deployment.js';
import { GuardChangedError } from '../../core/errors.js';
import type { OutboxEvent } from '../../core/notifications.js';
import {
  dedupClaimKey,
  environmentKey,
  environmentUpdate,
  guardCondition,
  guardHolds,
  sortKey,
  TTL,
  toOutboxItem,
} from './items.js';
import { capacityRequest, nowSeconds, report, type Table, transact } from './table.js';

/**
 * Runs a record write's transaction together with the update of its environment item
 * (appended last, so the callers' indices of their own items hold). Where only that
 * update's condition failed, the record is not the environment's current one (`newer`:
 * a newer record is there; `same`: another record replaced it): `currentSK` only ever
 * grows, so that stays true, and the write goes through without touching the item.
 */
export async function transactKeepingCurrent(
  table: Table,
  operation: string,
  input: TransactWriteCommandInput,
  record: Deployment,
  when: 'newer' | 'same',
  guard?: { rollbacks: number },
): Promise<void> {
  const items = input.TransactItems ?? [];
  // A status change mostly touches the current record, but not always (finishing or rolling
  // back an older one). Asking first costs one small read; guessing wrong would cost a
  // cancelled transaction and a second one. A record that is not current now never will
  // be again, so the answer cannot go stale in a way that matters.
  if (when === 'same' && !(await isCurrent(table, record))) return transact(table, operation, input);
  try {
    await transact(table, operation, {
      TransactItems: [...items, environmentUpdate(table.tableName, record, when, guard)],
    });
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
    const onlyEnvironment =
      reasons[items.length]?.Code === 'ConditionalCheckFailed' &&
      reasons.every((r, i) => i === items.length || r.Code === 'None' || r.Code === undefined);
    if (!onlyEnvironment) throw error;
    if (!guard) return transact(table, operation, input);
    // The guarded item's condition has two halves: which one failed, the item as it was says.
    const old = reasons[items.length]?.Item ? unmarshall(reasons[items.length]?.Item ?? {}) : undefined;
    if (!guardHolds(old, guard)) throw new GuardChangedError(record.environment);
    // Only `current` was newer: the write goes through without touching the item, still
    // conditional on the guards.
    const check = guardCondition(guard);
    await transact(table, operation, {
      TransactItems: [
        ...items,
        {
          ConditionCheck: {
            TableName: table.tableName,
            Key: environmentKey(record.environment),
            ConditionExpression: check.expression,
            ExpressionAttributeNames: check.names,
            ...(Object.keys(check.values).length ? { ExpressionAttributeValues: check.values } : {}),
          },
        },
      ],
    }).catch((failure: unknown) => {
      const reason =
        failure instanceof TransactionCanceledException ? failure.CancellationReasons?.[items.length] : undefined;
      if (reason?.Code === 'ConditionalCheckFailed') throw new GuardChangedError(record.environment);
      throw failure;
    });
  }
}

/** Whether `record` is its environment's current record, read from the environment item. */
export async function isCurrent(table: Table, record: Deployment): Promise<boolean> {
  const result = await table.client.send(
    new GetCommand({
      TableName: table.tableName,
      Key: environmentKey(record.environment),
      ProjectionExpression: 'currentSK',
      ConsistentRead: true,
      ...capacityRequest(table),
    }),
  );
  report(table, 'environment.current', result.ConsumedCapacity);
  return result.Item?.currentSK === sortKey(record);
}

/** The dedup claim (first, when given) and the outbox puts that accompany a change. */
export function eventWrites(table: Table, events: OutboxEvent[], dedupKey: string | undefined) {
  const now = nowSeconds();
  const claim = dedupKey
    ? [
        {
          Put: {
            TableName: table.tableName,
            Item: { ...dedupClaimKey(dedupKey), entity: 'dedup', expiresAt: now + TTL.dedup },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ]
    : [];
  return [
    ...claim,
    ...events.map((event) => ({ Put: { TableName: table.tableName, Item: toOutboxItem(event, now) } })),
  ];
}
