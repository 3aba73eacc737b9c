/**
 * A run's progress and its end (the rest of the RunStore port): what only the run workflow
 * writes.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboxEvent } from '../../core/notifications.js';
import type { Run } from '../../core/run.js';
import type { RunStore } from '../../core/run-ports.js';
import { environmentKey, toOutboxItem } from './items.js';
import { runKey } from './run-items.js';
import { runStarter } from './run-start.js';
import { nowSeconds, type Table } from './table.js';

/** Stores a RUNNING run's progress (a no-op once the run has ended). */
export async function save(table: Table, run: Run): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: runKey(run.environment, run.id),
        UpdateExpression: 'SET #run = :run',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
        ExpressionAttributeValues: { ':run': run, ':running': 'RUNNING' },
      }),
    );
  } catch (error) {
    // The run already ended: a replayed step's progress must not overwrite its end.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Ends the run: stores it final, releases the environment's `activeRun`, and writes `events`,
 * in one transaction. Ending a run that already ended changes nothing (a replay).
 */
export async function finish(table: Table, run: Run, events: OutboxEvent[]): Promise<void> {
  const TableName = table.tableName;
  const now = nowSeconds();
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName,
              Key: runKey(run.environment, run.id),
              UpdateExpression: 'SET #run = :run, #status = :status, endedAt = :endedAt',
              ConditionExpression: '#status = :running',
              ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
              ExpressionAttributeValues: {
                ':run': run,
                ':status': run.status,
                ':endedAt': run.endedAt,
                ':running': 'RUNNING',
              },
            },
          },
          {
            Update: {
              TableName,
              Key: environmentKey(run.environment),
              UpdateExpression: 'REMOVE activeRun',
              ConditionExpression: 'activeRun = :id',
              ExpressionAttributeValues: { ':id': run.id },
            },
          },
          ...events.map((event) => ({ Put: { TableName, Item: toOutboxItem(event, now) } })),
        ],
      }),
    );
  } catch (error) {
    const first = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
    // Ended already (a replay of the last step): nothing to do, nothing published twice.
    if (first?.Code === 'ConditionalCheckFailed') return;
    throw error;
  }
}

/** The whole RunStore: a run's progress and its end too, for the workflow. */
export function runStore(table: Table): RunStore {
  return { ...runStarter(table), save: (run) => save(table, run), finish: (run, events) => finish(table, run, events) };
}
