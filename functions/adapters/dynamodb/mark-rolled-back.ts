/**
 * Marks a deployment ROLLED_BACK with its notifications (RollbackDeployment, the alarm path, a
 * run's mark step), and writes notifications on their own (emit): the outbox puts and the
 * dedup claim in the same transaction as the change they report.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deployment, Status } from '../../core/deployment.js';
import { DuplicateEventError, NotFoundError, TransitionConflictError } from '../../core/errors.js';
import type { OutboxEvent } from '../../core/notifications.js';
import type { DeploymentReader, DeploymentStore } from '../../core/ports.js';
import { recordKey } from './items.js';
import { eventWrites, transactKeepingCurrent } from './keep-current.js';
import { deploymentReader } from './reads.js';
import { cancellation, failedCondition, type Table, transact } from './table.js';

/**
 * Stores `rolledBack` (a DEPLOYED record already turned ROLLED_BACK by core), conditional on
 * the stored status still being DEPLOYED, with `events` in the outbox in the same transaction;
 * with `dedupKey`, the write also claims that key (a second claim: DuplicateEventError).
 */
export async function markRolledBack(
  table: Table,
  rolledBack: Deployment,
  options: { events: OutboxEvent[]; dedupKey?: string | undefined },
): Promise<Deployment> {
  const transaction: TransactWriteCommandInput = {
    TransactItems: [
      {
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
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...eventWrites(table, options.events, options.dedupKey),
    ],
  };
  try {
    await transactKeepingCurrent(table, 'rollback', transaction, rolledBack, 'same');
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
