/**
 * The deployments table as the store's modules use it: the client, the table's name, and the
 * requests every read and write sends (GetItem, Query, TransactWriteItems), each reporting the
 * capacity it consumed when asked to. Plain data and functions: a function's bundle holds the
 * modules its store uses (reads.ts, and create.ts or finish.ts or mark-rolled-back.ts), no more.
 */
import { type ConsumedCapacity, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

export interface Table {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Called with the capacity each request consumed; turns on ReturnConsumedCapacity. */
  onCapacity?: ((operation: string, capacity: ConsumedCapacity[]) => void) | undefined;
  /** Page size used when walking a history (rollback target). */
  walkPageSize?: number | undefined;
}

/** Attempts for a transaction that DynamoDB cancelled because another one touched the same item. */
const CONFLICT_ATTEMPTS = 6;

/** ReturnConsumedCapacity, where the caller counts capacity. */
export function capacityRequest(table: Table) {
  return table.onCapacity ? ({ ReturnConsumedCapacity: 'TOTAL' } as const) : {};
}

/** Hands a request's consumed capacity to the caller that counts it. */
export function report(table: Table, operation: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) {
  if (!table.onCapacity || !consumed) return;
  table.onCapacity(operation, Array.isArray(consumed) ? consumed : [consumed]);
}

/** A strongly consistent GetItem. */
export async function getItem(table: Table, operation: string, key: Record<string, unknown>) {
  const result = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true, ...capacityRequest(table) }),
  );
  report(table, operation, result.ConsumedCapacity);
  return result.Item;
}

/** A Query of the table (or of an index, with IndexName). */
export async function query(table: Table, operation: string, input: Omit<QueryCommandInput, 'TableName'>) {
  const result = await table.client.send(
    new QueryCommand({ TableName: table.tableName, ...input, ...capacityRequest(table) }),
  );
  report(table, operation, result.ConsumedCapacity);
  return result;
}

/** A transaction, retried while DynamoDB cancels it only for conflicting with another one. */
export async function transact(table: Table, operation: string, input: TransactWriteCommandInput): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await table.client.send(new TransactWriteCommand({ ...input, ...capacityRequest(table) }));
      report(table, operation, result.ConsumedCapacity);
      return;
    } catch (error) {
      const onlyConflicts =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') &&
        (error.CancellationReasons ?? []).every((r) => r.Code === 'TransactionConflict' || r.Code === 'None');
      if (!onlyConflicts || attempt >= CONFLICT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
    }
  }
}

/** The reason DynamoDB gave for cancelling item `index` of a transaction, if it cancelled one. */
export function cancellation(error: unknown, index: number) {
  return error instanceof TransactionCanceledException ? error.CancellationReasons?.[index] : undefined;
}

/** Whether item `index`'s condition failed in a cancelled transaction. */
export function failedCondition(error: unknown, index: number) {
  return cancellation(error, index)?.Code === 'ConditionalCheckFailed';
}

/** Now, in the seconds DynamoDB's TTL attribute takes. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
