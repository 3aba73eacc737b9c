/**
 * The DeploymentStore port on DynamoDB. Every read is a GetItem or a Query (see
 * table-schema.ts for the items); every status change is a conditional write, and every
 * write that owes a notification puts it in the outbox in the same transaction.
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
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type Deployment, newestFirst, type Status } from '../core/deployment.js';
import {
  DuplicateEventError,
  IdempotencyConflictError,
  NotFoundError,
  TransitionConflictError,
} from '../core/errors.js';
import type { OutboxEvent } from '../core/notifications.js';
import type {
  DeploymentReader,
  DeploymentStore,
  EnvironmentState,
  HistoryPage,
  Position,
  TimeRange,
} from '../core/ports.js';
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
/** The partition of the environment items: one item per environment, read with one Query. */
const ENVIRONMENTS_PK = 'ENVIRONMENTS';
const environmentKey = (environment: string) => ({ PK: ENVIRONMENTS_PK, SK: envKey(environment) });
/** The outbox item of one event (the notifier's ledger marks it published). */
export const outboxKey = (eventId: string) => ({ PK: `OUTBOX#${eventId}`, SK: 'OUTBOX' });

/** The stored item of a record; exported so the benchmark seeds items of exactly this shape. */
export function toItem(record: Deployment) {
  return {
    ...recordKey(record),
    GSI1PK: `TAG#${record.imageTag}`,
    GSI1SK: `${record.environment}#${record.deployedAt}#${record.id}`,
    entity: 'deployment',
    ...presentFields(record),
  };
}

/**
 * The record's members without the null ones (fromItem restores them): smaller items are
 * cheaper reads, and a page of five typical records fits in one 4 KB read unit. The
 * environment item's `current` holds the record in this form too.
 */
function presentFields(record: Deployment) {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null));
}

/**
 * How a record write keeps its environment item's `current` (see table-schema.ts):
 * - `newer`: the record becomes `current` if it sorts after the one there (a new record);
 * - `same`: the record replaces `current` if it IS the one there (a status change).
 * The condition compares `currentSK`, the current record's sort key: a write of an older
 * record can never replace a newer current, whatever order concurrent writes land in.
 * Only this service's own attributes are SET, never the whole item: `activeRun` on the same
 * item belongs to the rollback runs.
 */
export function environmentUpdate(tableName: string, record: Deployment, when: 'newer' | 'same') {
  return {
    Update: {
      TableName: tableName,
      Key: environmentKey(record.environment),
      UpdateExpression:
        when === 'newer'
          ? 'SET #entity = :entity, #environment = :environment, #current = :current, currentSK = :sk, lastDeployedAt = :at'
          : 'SET #current = :current',
      ConditionExpression: when === 'newer' ? 'attribute_not_exists(currentSK) OR currentSK < :sk' : 'currentSK = :sk',
      ExpressionAttributeNames: {
        '#current': 'current',
        ...(when === 'newer' ? { '#entity': 'entity', '#environment': 'environment' } : {}),
      },
      ExpressionAttributeValues: {
        ':current': presentFields(record),
        ':sk': sortKey(record),
        ...(when === 'newer'
          ? { ':entity': 'environment', ':environment': record.environment, ':at': record.deployedAt }
          : {}),
      },
    },
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
  'commitAt',
  'notes',
  'migrations',
  'pipelineRunUrl',
  'rollbackOf',
  'rolledBackAt',
  'rolledBackBy',
  'rollbackReason',
  'updatedAt',
];

/**
 * The record in the contract's member order (DynamoDB returns attributes in no order), the
 * members presentFields left out restored as null. A plain loop: it runs once per item read
 * (a metrics window reads a thousand), and one [name, value] pair per member, as
 * `Object.fromEntries` would take, made it about twice as slow.
 */
export function fromItem(item: Record<string, unknown>): Deployment {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) record[field] = item[field] ?? null;
  record.migrations = ((item.migrations ?? []) as Deployment['migrations']).map((m) => ({
    id: m.id,
    reversible: m.reversible,
    description: m.description ?? null,
  }));
  return record as unknown as Deployment;
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

/**
 * The reads of the deployment records. A function that only reads builds this one (aws.ts,
 * `readApp`), and its bundle then holds none of the writes below.
 */
export class DynamoDeploymentReader implements DeploymentReader {
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
    protected readonly options: DynamoDeploymentStoreOptions = {},
  ) {}

  async get(id: string): Promise<Deployment | undefined> {
    const pointer = await this.getItem('get.id', idKey(id));
    if (!pointer) return undefined;
    const item = await this.getItem('get', { PK: envKey(String(pointer.environment)), SK: pointer.recordSK });
    return item ? fromItem(item) : undefined;
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

  async environments(): Promise<EnvironmentState[]> {
    const states: EnvironmentState[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.query('environments', {
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': ENVIRONMENTS_PK },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      });
      for (const item of result.Items ?? []) {
        const current = item.current ? fromItem(item.current as Record<string, unknown>) : null;
        states.push({
          environment: String(item.SK).slice('ENV#'.length),
          current,
          lastDeployedAt: current?.deployedAt ?? null,
          activeRun: typeof item.activeRun === 'string' ? item.activeRun : null,
        });
      }
      start = result.LastEvaluatedKey;
    } while (start);
    // Sort keys are `ENV#<name>`, so the Query already returns them by name; sorting again
    // costs nothing and does not lean on that.
    return states.sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
  }

  async *range(
    environment: string,
    range: TimeRange,
    options: { pageSize?: number | undefined } = {},
  ): AsyncIterable<Deployment[]> {
    // `~` sorts above every character of a timestamp, so `DEP#<to>~` is above every key whose
    // deployedAt starts with `to`: the bound is inclusive of a whole day given as a date.
    const upper = range.to === undefined ? 'DEP$' : `DEP#${range.to}~`;
    let start: Record<string, unknown> | undefined;
    do {
      const result = await this.query('range', {
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': envKey(environment), ':from': `DEP#${range.from}`, ':to': upper },
        ScanIndexForward: true,
        ...(options.pageSize ? { Limit: options.pageSize } : {}),
        ExclusiveStartKey: start,
      });
      yield (result.Items ?? []).map(fromItem);
      start = result.LastEvaluatedKey;
    } while (start);
  }

  protected async getItem(operation: string, key: Record<string, unknown>) {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true, ...this.capacityRequest() }),
    );
    this.report(operation, result.ConsumedCapacity);
    return result.Item;
  }

  protected async query(operation: string, input: Omit<QueryCommandInput, 'TableName'>) {
    const result = await this.client.send(
      new QueryCommand({ TableName: this.tableName, ...input, ...this.capacityRequest() }),
    );
    this.report(operation, result.ConsumedCapacity);
    return result;
  }

  protected capacityRequest() {
    return this.options.onCapacity ? ({ ReturnConsumedCapacity: 'TOTAL' } as const) : {};
  }

  protected report(operation: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined) {
    if (!this.options.onCapacity || !consumed) return;
    this.options.onCapacity(operation, Array.isArray(consumed) ? consumed : [consumed]);
  }
}

/**
 * What the writes share: the transactions that keep the environment item current, and the
 * outbox puts. Each write is a class of its own below, so that a function bundles the writes
 * it makes and not the others (its app builds that class: aws.ts, `writeApp`); the full
 * store gathers them all.
 */
export class DynamoDeploymentWrites extends DynamoDeploymentReader {
  /**
   * Runs a record write's transaction together with the update of its environment item
   * (appended last, so the callers' indices of their own items hold). Where only that
   * update's condition failed, the record is not the environment's current one (`newer`:
   * a newer record is there; `same`: another record replaced it): `currentSK` only ever
   * grows, so that stays true, and the write goes through without touching the item.
   */
  protected async transactKeepingCurrent(
    operation: string,
    input: TransactWriteCommandInput,
    record: Deployment,
    when: 'newer' | 'same',
  ): Promise<void> {
    const items = input.TransactItems ?? [];
    // A status change mostly touches the current record, but not always (finishing or rolling
    // back an older one). Asking first costs one small read; guessing wrong would cost a
    // cancelled transaction and a second one. A record that is not current now never will
    // be again, so the answer cannot go stale in a way that matters.
    if (when === 'same' && !(await this.isCurrent(record))) return this.transact(operation, input);
    try {
      await this.transact(operation, { TransactItems: [...items, environmentUpdate(this.tableName, record, when)] });
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const onlyEnvironment =
        reasons[items.length]?.Code === 'ConditionalCheckFailed' &&
        reasons.every((r, i) => i === items.length || r.Code === 'None' || r.Code === undefined);
      if (!onlyEnvironment) throw error;
      await this.transact(operation, input);
    }
  }

  /** Whether `record` is its environment's current record, read from the environment item. */
  protected async isCurrent(record: Deployment): Promise<boolean> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: environmentKey(record.environment),
        ProjectionExpression: 'currentSK',
        ConsistentRead: true,
        ...this.capacityRequest(),
      }),
    );
    this.report('environment.current', result.ConsumedCapacity);
    return result.Item?.currentSK === sortKey(record);
  }

  /** The dedup claim (first, when given) and the outbox puts that accompany a change. */
  protected eventWrites(events: OutboxEvent[], dedupKey: string | undefined) {
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
  protected async transact(operation: string, input: TransactWriteCommandInput): Promise<void> {
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
}

/** Records a new deployment (RecordDeployment). */
export class DynamoRecordCreator extends DynamoDeploymentWrites {
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
          // An expired key counts as unused: DynamoDB's TTL deletes expired items lazily (up to
          // days later), so without this a key would replay or 409 long after its 24 hours.
          ConditionExpression: 'attribute_not_exists(PK) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': now },
        },
      });
    }
    try {
      await this.transactKeepingCurrent('create', transaction, record, 'newer');
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
}

/** Finishes an IN_PROGRESS deployment (FinishDeployment). */
export class DynamoRecordFinisher extends DynamoDeploymentWrites {
  async finish(id: string, change: { status: 'DEPLOYED' | 'FAILED'; notes?: string | undefined; updatedAt: string }) {
    const pointer = await this.getItem('finish.id', idKey(id));
    if (!pointer) throw new NotFoundError(`No deployment with id ${id}.`);
    const key = { PK: envKey(String(pointer.environment)), SK: pointer.recordSK };
    // The whole record is needed to keep the environment's `current` copy: read it, change it
    // here, and let the write's condition (still IN_PROGRESS) prove nothing changed since.
    const item = await this.getItem('finish.read', key);
    if (!item) throw new NotFoundError(`No deployment with id ${id}.`);
    const before = fromItem(item);
    if (before.status !== 'IN_PROGRESS') throw finishConflict(id, before.status);
    const finished: Deployment = {
      ...before,
      status: change.status,
      updatedAt: change.updatedAt,
      notes: change.notes ?? before.notes,
    };
    const notes = change.notes === undefined ? '' : ', notes = :notes';
    try {
      await this.transactKeepingCurrent(
        'finish',
        {
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: key,
                UpdateExpression: `SET #status = :to, updatedAt = :at${notes}`,
                ConditionExpression: 'attribute_exists(PK) AND #status = :from',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':to': change.status,
                  ':from': 'IN_PROGRESS',
                  ':at': change.updatedAt,
                  ...(change.notes === undefined ? {} : { ':notes': change.notes }),
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        },
        finished,
        'same',
      );
      return finished;
    } catch (error) {
      const found = cancellation(error, 0);
      if (found?.Code !== 'ConditionalCheckFailed') throw error;
      const status = found.Item ? (unmarshall(found.Item).status as Status) : undefined;
      if (!status) throw new NotFoundError(`No deployment with id ${id}.`);
      throw finishConflict(id, status);
    }
  }
}

/** Marks a deployment ROLLED_BACK, with its notifications (RollbackDeployment, the alarm, the runs). */
export class DynamoRollbackMarker extends DynamoDeploymentWrites {
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
      await this.transactKeepingCurrent('rollback', transaction, rolledBack, 'same');
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
}

/** Every read and every write. */
export class DynamoDeploymentStore extends DynamoDeploymentWrites implements DeploymentStore {
  create = DynamoRecordCreator.prototype.create;
  finish = DynamoRecordFinisher.prototype.finish;
  markRolledBack = DynamoRollbackMarker.prototype.markRolledBack;
  emit = DynamoRollbackMarker.prototype.emit;
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function finishConflict(id: string, status: Status) {
  return new TransitionConflictError(
    status,
    `Deployment ${id} is ${status}; only an IN_PROGRESS deployment can be finished.`,
  );
}

function cancellation(error: unknown, index: number) {
  return error instanceof TransactionCanceledException ? error.CancellationReasons?.[index] : undefined;
}

function failedCondition(error: unknown, index: number) {
  return cancellation(error, index)?.Code === 'ConditionalCheckFailed';
}
