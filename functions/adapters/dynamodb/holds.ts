/**
 * Holds and releases an environment (HoldEnvironment, ReleaseEnvironment): the environment
 * item's `hold`, set or removed by an UpdateExpression of that attribute alone (the item's
 * other attributes belong to the record writes, the runs and the readiness refresh), with its
 * ENVIRONMENT_HELD or ENVIRONMENT_RELEASED in the outbox in the same transaction.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EnvironmentHeldError, NotFoundError } from '../../core/errors.js';
import type { Hold } from '../../core/guards.js';
import type { OutboxEvent } from '../../core/notifications.js';
import type { DeploymentReader, HoldStore } from '../../core/ports.js';
import { environmentKey } from './items.js';
import { eventWrites } from './keep-current.js';
import { deploymentReader } from './reads.js';
import { cancellation, failedCondition, type Table, transact } from './table.js';

/** Sets `hold` where the environment has records and no hold; else NotFoundError or EnvironmentHeldError (with the hold). */
export async function putHold(table: Table, environment: string, hold: Hold, event: OutboxEvent): Promise<void> {
  try {
    await transact(table, 'hold', {
      TransactItems: [
        {
          Update: {
            TableName: table.tableName,
            Key: environmentKey(environment),
            UpdateExpression: 'SET #hold = :hold',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#hold)',
            ExpressionAttributeNames: { '#hold': 'hold' },
            ExpressionAttributeValues: { ':hold': hold },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...eventWrites(table, [event], undefined),
      ],
    });
  } catch (error) {
    const found = cancellation(error, 0);
    if (found?.Code !== 'ConditionalCheckFailed') throw error;
    const old = found.Item ? unmarshall(found.Item) : undefined;
    if (!old) throw new NotFoundError(`No deployment has been recorded in ${environment}.`);
    throw new EnvironmentHeldError(old.hold as Hold, `${environment} is already held: ${(old.hold as Hold).reason}`);
  }
}

/**
 * Removes `hold`, conditional on it still being `expected` (same `since` and `by`): false, and
 * nothing written, when another hold or release got there first.
 */
export async function releaseHold(
  table: Table,
  environment: string,
  expected: Hold,
  event: OutboxEvent,
): Promise<boolean> {
  try {
    await transact(table, 'release', {
      TransactItems: [
        {
          Update: {
            TableName: table.tableName,
            Key: environmentKey(environment),
            UpdateExpression: 'REMOVE #hold',
            ConditionExpression: '#hold.since = :since AND #hold.#by = :by',
            ExpressionAttributeNames: { '#hold': 'hold', '#by': 'by' },
            ExpressionAttributeValues: { ':since': expected.since, ':by': expected.by },
          },
        },
        ...eventWrites(table, [event], undefined),
      ],
    });
    return true;
  } catch (error) {
    if (failedCondition(error, 0)) return false;
    throw error;
  }
}

/** The reads and these writes: the store of the hold and release routes. */
export function readsAndHolds(table: Table): DeploymentReader & HoldStore {
  return {
    ...deploymentReader(table),
    putHold: (environment, hold, event) => putHold(table, environment, hold, event),
    releaseHold: (environment, expected, event) => releaseHold(table, environment, expected, event),
  };
}
