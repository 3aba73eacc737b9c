/**
 * Marks a deployment ROLLED_BACK with its notifications (RollbackDeployment, the alarm path, a
 * run's mark step), and writes notifications on their own (emit): the outbox puts and the
 * dedup claim in the same transaction as the change they report.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deployment, Status } from '../../core/deployment.js';
import { DuplicateEventError, NotFoundError, TransitionConflictError } from '../../core/errors.js';
import type { Hold } from '../../core/guards.js';
import type { OutboxEvent } from '../../core/notifications.js';
import type { DeploymentReader, DeploymentStore, HoldWrite } from '../../core/ports.js';
import { environmentKey, presentFields, recordKey, sortKey } from './items.js';
import { eventWrites, isCurrent } from './keep-current.js';
import { deploymentReader } from './reads.js';
import { cancellation, failedCondition, type Table, transact } from './table.js';

/**
 * Stores `rolledBack` (a DEPLOYED record already turned ROLLED_BACK by core), conditional on
 * the stored status still being DEPLOYED, with `events` in the outbox in the same transaction;
 * with `dedupKey`, the write also claims that key (a second claim: DuplicateEventError). With
 * `hold`, the same transaction holds the environment and writes its ENVIRONMENT_HELD, unless
 * the environment is held already: then it keeps its hold, and the rest is written without.
 */
export async function markRolledBack(
  table: Table,
  rolledBack: Deployment,
  options: { events: OutboxEvent[]; dedupKey?: string | undefined; hold?: HoldWrite | undefined },
): Promise<Deployment> {
  const recordUpdate = {
    Update: {
      TableName: table.tableName,
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
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
  // The environment item takes one update (a transaction may touch an item once): the rollback
  // counted, `current` replaced where this record is current, the hold where one is owed.
  let keepCurrent = await isCurrent(table, rolledBack);
  let hold = options.hold;
  let hasItem = true;
  for (let attempt = 1; ; attempt++) {
    const events = hold ? [...options.events, hold.event] : options.events;
    const writes = [recordUpdate, ...eventWrites(table, events, options.dedupKey)];
    const environment = environmentRollback(table.tableName, rolledBack, { keepCurrent, hold: hold?.hold });
    try {
      await transact(table, 'rollback', { TransactItems: hasItem ? [...writes, environment] : writes });
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
      const item = cancellation(error, writes.length);
      if (item?.Code !== 'ConditionalCheckFailed' || attempt >= 3) throw error;
      // Only the environment item's condition failed: it is held already (it keeps its hold,
      // and no second ENVIRONMENT_HELD is written), or the record is no longer current there
      // (`currentSK` only grows, so it never will be again). Write again with what is true now.
      const old = item.Item ? unmarshall(item.Item) : undefined;
      // No environment item (records written by something other than this store): nothing
      // to keep current, nowhere to hold.
      if (!old) {
        hasItem = false;
        hold = undefined;
        continue;
      }
      if (old.hold) hold = undefined;
      if (old.currentSK !== sortKey(rolledBack)) keepCurrent = false;
    }
  }
}

/**
 * The environment item's part of a rollback: counts it (`rollbacks`, which a create guarded
 * on the known-bad tag compares), replaces `current` where `keepCurrent` (conditional on
 * `currentSK`), and sets `hold` where given (conditional on there being none).
 */
export function environmentRollback(
  tableName: string,
  record: Deployment,
  parts: { keepCurrent: boolean; hold?: Hold | undefined },
) {
  const sets = [...(parts.keepCurrent ? ['#current = :current'] : []), ...(parts.hold ? ['#hold = :hold'] : [])];
  const conditions = [
    'attribute_exists(PK)',
    ...(parts.keepCurrent ? ['currentSK = :sk'] : []),
    ...(parts.hold ? ['attribute_not_exists(#hold)'] : []),
  ];
  const names = {
    ...(parts.keepCurrent ? { '#current': 'current' } : {}),
    ...(parts.hold ? { '#hold': 'hold' } : {}),
  };
  return {
    Update: {
      TableName: tableName,
      Key: environmentKey(record.environment),
      UpdateExpression: `${sets.length ? `SET ${sets.join(', ')} ` : ''}ADD rollbacks :one`,
      ConditionExpression: conditions.join(' AND '),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: {
        ':one': 1,
        ...(parts.keepCurrent ? { ':current': presentFields(record), ':sk': sortKey(record) } : {}),
        ...(parts.hold ? { ':hold': parts.hold } : {}),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
}

/** Writes `events` to the outbox on their own, claiming `dedupKey` as markRolledBack does. */
export async function emit(
  table: Table,
  events: OutboxEvent[],
  options: { dedupKey?: string | undefined },
): Promise<void> {
  try {
    await transact(table, 'emit', { TransactItems: eventWrites(table, events, options.dedupKey) });
  } catch (error) {
    if (options.dedupKey && failedCondition(error, 0)) throw new DuplicateEventError(options.dedupKey);
    throw error;
  }
}

/** The reads and these writes: the store of a function that rolls back (the tag route). */
export function readsAndMarkRolledBack(
  table: Table,
): DeploymentReader & Pick<DeploymentStore, 'markRolledBack' | 'emit'> {
  return {
    ...deploymentReader(table),
    markRolledBack: (rolledBack, options) => markRolledBack(table, rolledBack, options),
    emit: (events, options) => emit(table, events, options),
  };
}
