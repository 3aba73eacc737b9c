/**
 * Finishes an IN_PROGRESS deployment (FinishDeployment): IN_PROGRESS → DEPLOYED | FAILED as a
 * write conditional on the status, with the environment item's `current` kept.
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Deployment, Status } from '../../core/deployment.js';
import { NotFoundError, TransitionConflictError } from '../../core/errors.js';
import type { DeploymentReader, DeploymentStore } from '../../core/ports.js';
import { envKey, fromItem, idKey } from './items.js';
import { transactKeepingCurrent } from './keep-current.js';
import { deploymentReader } from './reads.js';
import { cancellation, getItem, type Table } from './table.js';

/** IN_PROGRESS → DEPLOYED | FAILED, conditional on the stored status still being IN_PROGRESS. */
export async function finish(
  table: Table,
  id: string,
  change: { status: 'DEPLOYED' | 'FAILED'; notes?: string | undefined; updatedAt: string },
): Promise<Deployment> {
  const pointer = await getItem(table, 'finish.id', idKey(id));
  if (!pointer) throw new NotFoundError(`No deployment with id ${id}.`);
  const key = { PK: envKey(String(pointer.environment)), SK: pointer.recordSK };
  // The whole record is needed to keep the environment's `current` copy: read it, change it
  // here, and let the write's condition (still IN_PROGRESS) prove nothing changed since.
  const item = await getItem(table, 'finish.read', key);
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
    await transactKeepingCurrent(
      table,
      'finish',
      {
        TransactItems: [
          {
            Update: {
              TableName: table.tableName,
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

/** The reads and this write: the store of a function that finishes deployments. */
export function readsAndFinish(table: Table): DeploymentReader & Pick<DeploymentStore, 'finish'> {
  return { ...deploymentReader(table), finish: (id, change) => finish(table, id, change) };
}

function finishConflict(id: string, status: Status) {
  return new TransitionConflictError(
    status,
    `Deployment ${id} is ${status}; only an IN_PROGRESS deployment can be finished.`,
  );
}
