/**
 * Reading runs (the RunReads port): by id, an environment's page, and what a start looks up
 * first (an Idempotency-Key's run, the environment's RUNNING run). What the functions that
 * only read runs bundle: none of the runs' writes.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConflictError } from '../../core/errors.js';
import type { Position } from '../../core/ports.js';
import type { Run } from '../../core/run.js';
import type { RunPage, RunReads } from '../../core/run-ports.js';
import { environmentKey } from './items.js';
import { pointerKey, runIdempotencyKey, runKey } from './run-items.js';
import type { Table } from './table.js';

async function getItem(table: Table, key: Record<string, unknown>) {
  const result = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  return result.Item;
}

/** One run by id: its pointer, then the run. */
export async function get(table: Table, id: string): Promise<Run | undefined> {
  const pointer = await getItem(table, pointerKey(id));
  if (!pointer) return undefined;
  const item = await getItem(table, runKey(String(pointer.environment), id));
  return item ? (item.run as Run) : undefined;
}

/** The run a POST with this Idempotency-Key started; IdempotencyConflictError for another request body. */
export async function replayOf(
  table: Table,
  idempotency: { key: string; fingerprint: string },
): Promise<Run | undefined> {
  const first = await getItem(table, runIdempotencyKey(idempotency.key));
  if (!first) return undefined;
  if (first.fingerprint !== idempotency.fingerprint) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was first used with a different request body; use a new key for a new rollback.',
    );
  }
  // The first answer, as it was; a key written before the answer was kept gets the run now.
  return (first.response as Run | undefined) ?? get(table, String(first.runId));
}

/** The RunReads port over `table`. */
export function runReader(table: Table): RunReads {
  return {
    get: (id) => get(table, id),
    replayOf: (idempotency) => replayOf(table, idempotency),
    async activeRun(environment: string): Promise<string | undefined> {
      const item = await getItem(table, environmentKey(environment));
      return typeof item?.activeRun === 'string' ? item.activeRun : undefined;
    },
    async page(environment: string, options: { limit: number; after?: Position | undefined }): Promise<RunPage> {
      const result = await table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :run)',
          ExpressionAttributeValues: { ':pk': `RUNS#${environment}`, ':run': 'RUN#' },
          ScanIndexForward: false,
          Limit: options.limit,
          ...(options.after ? { ExclusiveStartKey: runKey(environment, options.after.id) } : {}),
        }),
      );
      return {
        items: (result.Items ?? []).map((item) => item.run as Run),
        hasMore: result.LastEvaluatedKey !== undefined,
      };
    },
  };
}
