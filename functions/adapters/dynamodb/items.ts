/**
 * The deployments table's keys and items (see table-schema.ts): how a record, its id pointer,
 * its environment item and an outbox event are stored, and read back. Every module of the
 * store (reads.ts, the writes) and the runs store take their keys from here.
 */
import type { Deployment } from '../../core/deployment.js';
import type { ReadinessSummary } from '../../core/guards.js';
import type { OutboxEvent } from '../../core/notifications.js';
import type { Position } from '../../core/ports.js';

const DAY = 24 * 60 * 60;
export const TTL = { idempotency: DAY, dedup: 30 * DAY, outbox: 7 * DAY };

/** An environment's partition: its records, newest last by sort key. */
export const envKey = (environment: string) => `ENV#${environment}`;
/** A record's sort key in its environment's partition: by deployedAt, then id. */
export const sortKey = (p: Position) => `DEP#${p.deployedAt}#${p.id}`;
/** A record's key; its id pointer's; an Idempotency-Key's; a dedup claim's (an alarm change, a run's step). */
export const recordKey = (r: Deployment) => ({ PK: envKey(r.environment), SK: sortKey(r) });
export const idKey = (id: string) => ({ PK: `ID#${id}`, SK: 'ID' });
export const idempotencyKey = (key: string) => ({ PK: `IDEMPOTENCY#${key}`, SK: 'IDEMPOTENCY' });
export const dedupClaimKey = (key: string) => ({ PK: `EVENT#${key}`, SK: 'EVENT' });
/** The partition of the environment items: one item per environment, read with one Query. */
export const ENVIRONMENTS_PK = 'ENVIRONMENTS';
export const environmentKey = (environment: string) => ({ PK: ENVIRONMENTS_PK, SK: envKey(environment) });
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
export function presentFields(record: Deployment) {
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
export function environmentUpdate(
  tableName: string,
  record: Deployment,
  when: 'newer' | 'same',
  guard?: { rollbacks: number },
) {
  const current = when === 'newer' ? '(attribute_not_exists(currentSK) OR currentSK < :sk)' : 'currentSK = :sk';
  const guarded = guard ? guardCondition(guard) : undefined;
  return {
    Update: {
      TableName: tableName,
      Key: environmentKey(record.environment),
      UpdateExpression:
        when === 'newer'
          ? 'SET #entity = :entity, #environment = :environment, #current = :current, currentSK = :sk, lastDeployedAt = :at'
          : 'SET #current = :current',
      ConditionExpression: guarded ? `${current} AND ${guarded.expression}` : current,
      ExpressionAttributeNames: {
        '#current': 'current',
        ...(when === 'newer' ? { '#entity': 'entity', '#environment': 'environment' } : {}),
        ...guarded?.names,
      },
      ExpressionAttributeValues: {
        ':current': presentFields(record),
        ':sk': sortKey(record),
        ...(when === 'newer'
          ? { ':entity': 'environment', ':environment': record.environment, ':at': record.deployedAt }
          : {}),
        ...guarded?.values,
      },
      ...(guard ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    },
  };
}

/**
 * The condition a guarded create puts on its environment item: no hold, and as many rollbacks
 * as the guards read (every rollback counts one on the item in its own write, so a rollback
 * that made the tag known bad after the read fails the create).
 */
export function guardCondition(guard: { rollbacks: number }) {
  return {
    expression: `attribute_not_exists(#hold) AND ${guard.rollbacks === 0 ? 'attribute_not_exists(rollbacks)' : 'rollbacks = :rollbacks'}`,
    names: { '#hold': 'hold' },
    values: guard.rollbacks === 0 ? {} : { ':rollbacks': guard.rollbacks },
  };
}

/** Whether an environment item (as stored) still satisfies a guard's condition. */
export function guardHolds(item: Record<string, unknown> | undefined, guard: { rollbacks: number }): boolean {
  return !item?.hold && (typeof item?.rollbacks === 'number' ? item.rollbacks : 0) === guard.rollbacks;
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
  'override',
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

/** An environment item's readiness summary as stored (null before the first check), in the contract's member order. */
export function readinessOfItem(value: unknown): ReadinessSummary | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as Record<string, unknown>;
  return {
    ready: r.ready === true,
    checkedAt: String(r.checkedAt),
    failing: (Array.isArray(r.failing) ? r.failing : []) as ReadinessSummary['failing'],
  };
}
