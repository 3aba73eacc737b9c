/**
 * The DeploymentStore port on DynamoDB. Every read is a GetItem or a Query (see
 * table-schema.ts for the items); every status change is a conditional write, and every
 * write that owes a notification puts it in the outbox in the same transaction.
 */
import {
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Deployment, newestFirst, type Status } from '../core/deployment.js';
import {
  DuplicateEventError,
  IdempotencyConflictError,
  NotFoundError,
  TransitionConflictError,
} from '../core/errors.js';
import type { OutboxEvent } from '../core/notifications.js';
import type { DeploymentStore, HistoryPage, Position } from '../core/ports.js';
import { TABLE_SCHEMA } from './table-schema.js';

const DAY = 24 * 60 * 60;
const TTL = { idempotency: DAY, dedup: 30 * DAY, outbox: 7 * DAY };
/** How many of an environment's newest records a fresh tag lookup reads from the table. */
const RECENT_WRITES = 10;
/** Items evaluated per request when a status filter is applied (matches may be sparse). */
const FILTERED_READ = 100;
/** Attempts for a transaction that DynamoDB cancelled because another one touched the same item. */
const CONFLICT_ATTEMPTS = 6;

const envKey = (environment: string) => `ENV#${environment}`;
const sortKey = (p: Position) => `DEP#${p.deployedAt}#${p.id}`;
const recordKey = (r: Deployment) => ({ PK: envKey(r.environment), SK: sortKey(r) });
const idKey = (id: string) => ({ PK: `ID#${id}`, SK: 'ID' });
const idempotencyKey = (key: string) => ({ PK: `IDEMPOTENCY#${key}`, SK: 'IDEMPOTENCY' });
const dedupKeyOf = (key: string) => ({ PK: `EVENT#${key}`, SK: 'EVENT' });
/** The outbox item of one event (the notifier's ledger marks it published). */
export const outboxKey = (eventId: string) => ({ PK: `OUTBOX#${eventId}`, SK: 'OUTBOX' });

/** The stored item of a record; exported so the benchmark seeds items of exactly this shape. */
export function toItem(record: Deployment) {
  // Null members are not stored (fromItem restores them): smaller items are cheaper reads,
  // and a page of five typical records fits in one 4 KB read unit.
  const present = Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null));
  return {
    ...recordKey(record),
    GSI1PK: `TAG#${record.imageTag}`,
    GSI1SK: `${record.environment}#${record.deployedAt}#${record.id}`,
    entity: 'deployment',
    ...present,
  };
}

const FIELDS: readonly (keyof Deployment)[] = [
  'id',
  'environment',
  'imageTag',
  'imageDigest',
  'status',
  'deployedAt',
  'deployedBy',
  'version',
  'commitSha',
  'notes',
  'migrations',
  'pipelineRunUrl',
  'rollbackOf',
  'rolledBackAt',
  'rolledBackBy',
  'rollbackReason',
  'updatedAt',
];

/** The record in the contract's member order (DynamoDB returns attributes in no order). */
export function fromItem(item: Record<string, unknown>): Deployment {
  const record = Object.fromEntries(FIELDS.map((field) => [field, item[field] ?? null])) as unknown as Deployment;
  record.migrations = ((item.migrations ?? []) as Deployment['migrations']).map((m) => ({
    id: m.id,
    reversible: m.reversible,
    description: m.description ?? null,
  }));
  return record;
}

/** The Unpublished index's one partition: every outbox item not yet published. */
export const UNPUBLISHED = 'OUTBOX#UNPUBLISHED';

/**
 * The stream's notifier recognises outbox items by `entity`; the body is kept as JSON text.
 * GSI2 puts the item in the sparse Unpublished index until the ledger marks it published.
 */
export function toOutboxItem(event: OutboxEvent, nowSeconds: number) {
  return {
    ...outboxKey(event.message.eventId),
    GSI2PK: UNPUBLISHED,
    GSI2SK: `${event.message.occurredAt}#${event.message.eventId}`,
    entity: 'outbox',
    eventType: event.message.eventType,
    environment: event.message.environment,
    subject: event.subject,
    message: JSON.stringify(event.message),
    createdAt: event.message.occurredAt,
    expiresAt: nowSeconds + TTL.outbox,
  };
}

export interface DynamoDeploymentStoreOptions {
  /** Called with the capacity each request consumed; turns on ReturnConsumedCapacity. */
  onCapacity?: (operation: string, capacity: ConsumedCapacity[]) => void;
  /** Page size used when walking a history (rollback target). */
  walkPageSize?: number;
}

export class DynamoDeploymentStore implements DeploymentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDeploymentStoreOptions = {},
  ) {}

  async create(record: Deployment, idempotency?: { key: string; fingerprint: string }) {
    const now = nowSeconds();
    const transaction: TransactWriteCommandInput = {
      TransactItems: [
        { Put: { TableName: this.tableName, Item: toItem(record), ConditionExpression: 'attribute_not_exists(PK)' } },
        {
          Put: {
            TableName: this.tableName,
            Item: { ...idKey(record.id), entity: 'id', environment: record.environment, recordSK: sortKey(record) },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      ],
    };
    if (idempotency) {
      transaction.TransactItems?.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...idempotencyKey(idempotency.key),
            entity: 'idempotency',
            fingerprint: idempotency.fingerprint,
            response: record,
            expiresAt: now + TTL.idempotency,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      });
    }
    try {
      await this.transact('create', transaction);
      return { record, replayed: false };
    } catch (error) {
      if (!idempotency || !failedCondition(error, 2)) throw error;
    }
    const first = await this.getItem('create.idempotency', idempotencyKey(idempotency.key));
    if (!first) throw new Error('idempotency item vanished after a conditional failure');
    if (first.fingerprint !== idempotency.fingerprint) {
      throw new IdempotencyConflictError(
        'This Idempotency-Key was first used with a different request body; use a new key for a new deployment.',
      );
    }
    return { record: fromItem(first.response as Record<string, unknown>), replayed: true };
  }

  async get(id: string): Promise<Deployment | undefined> {
    const pointer = await this.getItem('get.id', idKey(id));
    if (!pointer) return undefined;
    const item = await this.getItem('get', { PK: envKey(String(pointer.environment)), SK: pointer.recordSK });
    return item ? fromItem(item) : undefined;
  }

  async finish(id: string, change: { status: 'DEPLOYED' | 'FAILED'; notes?: string | undefined; updatedAt: string }) {
    const pointer = await this.getItem('finish.id', idKey(id));
    if (!pointer) throw new NotFoundError(`No deployment with id ${id}.`);
    const notes = change.notes === undefined ? '' : ', notes = :notes';
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { PK: envKey(String(pointer.environment)), SK: pointer.recordSK },
          UpdateExpression: `SET #status = :to, updatedAt = :at${notes}`,
          ConditionExpression: 'attribute_exists(PK) AND #status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': change.status,
            ':from': 'IN_PROGRESS',
            ':at': change.updatedAt,
            ...(change.notes === undefined ? {} : { ':notes': change.notes }),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...this.capacityRequest(),
        }),
      );
      this.report('finish', result.ConsumedCapacity);
      return fromItem(result.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const status = error.Item ? (unmarshall(error.Item).status as Status) : undefined;
      if (!status) throw new NotFoundError(`No deployment with id ${id}.`);
      throw new TransitionConflictError(
        status,
        `Deployment ${id} is ${status}; only an IN_PROGRESS deployment can be finished.`,
      );
    }
  }

  async page(
    environment: string,
    options: { limit: number; status?: Status | undefined; after?: Position | undefined },
  ): Promise<HistoryPage> {
    const items: Deployment[] = [];
    let start: Record<string, unknown> | undefined = options.after
      ? { PK: envKey(environment), SK: sortKey(options.after) }
      : undefined;
    // Unfiltered, read exactly `limit` items: DynamoDB's LastEvaluatedKey then says whether
    // more may follow (a page that ends on the last record still gets a cursor, to an empty
    // page; reading one extra item to rule that out would cost every page more). With a
    // filter, DynamoDB applies Limit before filtering, so read in larger steps until the page
    // is full, and cut it at `limit`: the cursor is the last item served, not DynamoDB's key.
    do {
      const result = await this.query('history', {
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: {
          ':pk': envKey(environment),
          ...(options.status ? { ':status': options.status } : {}),
        },
        ...(options.status
          ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
          : {}),
        ScanIndexForward: false,
        Limit: options.status ? FILTERED_READ : options.limit - items.length,
        ExclusiveStartKey: start,
      });
      items.push(...(result.Items ?? []).map(fromItem));
      start = result.LastEvaluatedKey;
    } while (start && items.length < options.limit);
    return {
      items: items.slice(0, options.limit),
      hasMore: items.length > options.limit || start !== undefined,
    };
  }

  async *iterate(environment: string): AsyncIterable<Deployment> {
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.query('walk', {
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': envKey(environment) },
        ScanIndexForward: false,
        Limit: this.options.walkPageSize ?? 25,
        ExclusiveStartKey: start,
      });
      for (const item of result.Items ?? []) yield fromItem(item);
      start = result.LastEvaluatedKey;
    } while (start);
  }

  async latestOfTag(
    imageTag: string,
    environment: string,
    options: { fresh?: boolean | undefined } = {},
  ): Promise<Deployment | undefined> {
    const result = await this.query('tag.latest', {
      IndexName: TABLE_SCHEMA.tagIndex.name,
      KeyConditionExpression: 'GSI1PK = :tag AND begins_with(GSI1SK, :env)',
      ExpressionAttributeValues: { ':tag': `TAG#${imageTag}`, ':env': `${environment}#` },
      ScanIndexForward: false,
      Limit: 1,
    });
    const indexed = result.Items?.[0] ? fromItem(result.Items[0]) : undefined;
    if (!options.fresh) return indexed;
    // The index is eventually consistent (typically well under a second behind). A record
    // written that recently is among the environment's newest, so read those from the table
    // itself, consistently, and take the newer of the two answers.
    const recent = await this.query('tag.recent', {
      KeyConditionExpression: 'PK = :pk',
      FilterExpression: 'imageTag = :tag',
      ExpressionAttributeValues: { ':pk': envKey(environment), ':tag': imageTag },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: RECENT_WRITES,
    });
    const newest = recent.Items?.[0] ? fromItem(recent.Items[0]) : undefined;
    if (!newest) return indexed;
    return !indexed || newestFirst(newest, indexed) < 0 ? newest : indexed;
  }

  /**
   * Lists a tag's environments by skipping from one environment to the next (one Query of
   * Limit 1 per environment), so the cost follows the number of environments, not the
   * number of times the tag was deployed. `#` sorts below every character an environment
   * name may hold, so all keys of a smaller environment sort below `<env>#`.
   */
  async environmentsOfTag(imageTag: string): Promise<string[]> {
    const environments: string[] = [];
    for (;;) {
      const below = environments.at(-1);
      const result = await this.query('tag.environments', {
        IndexName: TABLE_SCHEMA.tagIndex.name,
        KeyConditionExpression: below ? 'GSI1PK = :tag AND GSI1SK < :below' : 'GSI1PK = :tag',
        ExpressionAttributeValues: { ':tag': `TAG#${imageTag}`, ...(below ? { ':below': `${below}#` } : {}) },
        ProjectionExpression: 'environment',
        ScanIndexForward: false,
        Limit: 1,
      });
      const env = result.Items?.[0]?.environment;
      if (typeof env !== 'string') return environments.reverse();
      environments.push(env);
    }
  }

  async markRolledBack(
    rolledBack: Deployment,
    options: { events: OutboxEvent[]; dedupKey?: string | undefined },
  ): Promise<Deployment> {
    const transaction: TransactWriteCommandInput = {
      TransactItems: [
        {
          Update: {
            TableName: this.tableName,
            Key: recordKey(rolledBack),
            UpdateExpression:
              'SET #status = :to, rolledBackAt = :at, rolledBackBy = :by, rollbackReason = :reason, updatedAt = :at',
            ConditionExpression: 'attribute_exists(PK) AND #status = :from',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':to': 'ROLLED_BACK',
              ':from': 'DEPLOYED',
              ':at': rolledBack.rolledBackAt,
              ':by': rolledBack.rolledBackBy,
              ':reason': rolledBack.rollbackReason,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...this.eventWrites(options.events, options.dedupKey),
      ],
    };
    try {
      await this.transact('rollback', transaction);
      return rolledBack;
    } catch (error) {
      const found = cancellation(error, 0);
      if (found?.Code === 'ConditionalCheckFailed') {
        const status = found.Item ? (unmarshall(found.Item).status as Status) : undefined;
        if (!status) throw new NotFoundError(`No deployment with id ${rolledBack.id}.`);
        throw new TransitionConflictError(
          status,
          `Deployment ${rolledBack.id} (${rolledBack.imageTag} in ${rolledBack.environment}) is ${status}; only a DEPLOYED deployment can be rolled back.`,
        );
      }
      if (options.dedupKey && failedCondition(error, 1)) throw new DuplicateEventError(options.dedupKey);
      throw error;
    }
  }

  async emit(events: OutboxEvent[], options: { dedupKey?: string | undefined }): Promise<void> {
    try {
      await this.transact('emit', { TransactItems: this.eventWrites(events, options.dedupKey) });
    } catch (error) {
      if (options.dedupKey && failedCondition(error, 0)) throw new DuplicateEventError(options.dedupKey);
      throw error;
    }
  }

  /** The dedup claim (first, when given) and the outbox puts that accompany a change. */
  private eventWrites(events: OutboxEvent[], dedupKey: string | undefined) {
    const now = nowSeconds();
    const claim = dedupKey
      ? [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...dedupKeyOf(dedupKey), entity: 'dedup', expiresAt: now + TTL.dedup },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ]
      : [];
    return [
      ...claim,
      ...events.map((event) => ({ Put: { TableName: this.tableName, Item: toOutboxItem(event, now) } })),
    ];
  }

  /** A transaction, retried while DynamoDB cancels it only for conflicting with another one. */
  private async transact(operation: string, input: TransactWriteCommandInput): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.client.send(new TransactWriteCommand({ ...input, ...this.capacityRequest() }));
        this.report(operation, result.ConsumedCapacity);
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

  private async getItem(operation: string, key: Record<string, unknown>) {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ...this.capacityRequest() }),
    );
    this.report(operation, result.ConsumedCapacity);
    return result.Item;
  }

  private async query(operation: string, input: Omit<QueryCommandInput, 'TableName'>) {
    const result = await this.client.send(
      new QueryCommand({ TableName: this.tableName, ...input, ...this.capacityRequest() }),
    );
    this.report(operation, result.ConsumedCapacity);
    return result;
  }

  private capacityRequest() {
    return this.options.onCapacity ? ({ ReturnConsumedCapacity: 'TOTAL' } as const) : {};
  }

  private report(operation: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) {
    if (!this.options.onCapacity || !consumed) return;
    this.options.onCapacity(operation, Array.isArray(consumed) ? consumed : [consumed]);
  }
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function cancellation(error: unknown, index: number) {
  return error instanceof TransactionCanceledException ? error.CancellationReasons?.[index] : undefined;
}

function failedCondition(error: unknown, index: number) {
  return cancellation(error, index)?.Code === 'ConditionalCheckFailed';
}
