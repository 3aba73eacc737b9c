/**
 * Starting a run (RunStarts.start): everything that makes a run unique is a conditional write
 * in the one transaction that starts it: the environment item's `activeRun` (an UpdateItem
 * SET, so the `current`/`lastDeployedAt` kept on the same item by record writes stay
 * untouched), the claim of the deployment being rolled back, the alarm change's dedup item
 * and the Idempotency-Key.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DeploymentClaimedError, DuplicateEventError, RunActiveError } from '../../core/errors.js';
import type { OutboxEvent } from '../../core/notifications.js';
import type { Run } from '../../core/run.js';
import type { RunClaims, RunStarts } from '../../core/run-ports.js';
import { dedupClaimKey, environmentKey, TTL, toOutboxItem } from './items.js';
import { claimKey, pointerKey, runIdempotencyKey, runItem } from './run-items.js';
import { replayOf, runReader } from './run-reads.js';
import { nowSeconds, type Table } from './table.js';

/**
 * Writes a new RUNNING run, in ONE transaction with its claims (RunActiveError,
 * DeploymentClaimedError, DuplicateEventError) and `events`; a replayed Idempotency-Key
 * returns the first run.
 */
export async function start(
  table: Table,
  run: Run,
  claims: RunClaims,
  events: OutboxEvent[],
): Promise<{ run: Run; replayed: boolean }> {
  const TableName = table.tableName;
  const now = nowSeconds();
  type Item = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
  const items: { kind: 'active' | 'claim' | 'run' | 'idempotency' | 'dedup' | 'other'; item: Item }[] = [
    {
      kind: 'active',
      item: {
        Update: {
          TableName,
          Key: environmentKey(run.environment),
          UpdateExpression: 'SET activeRun = :id, environment = :env',
          ConditionExpression: 'attribute_not_exists(activeRun) OR activeRun = :none',
          ExpressionAttributeValues: { ':id': run.id, ':env': run.environment, ':none': null },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    },
    {
      kind: 'claim',
      item: {
        Put: {
          TableName,
          Item: { ...claimKey(claims.deploymentId), entity: 'run-claim', runId: run.id },
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    },
    {
      kind: 'run',
      item: {
        Put: {
          TableName,
          Item: runItem(run),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    },
    {
      kind: 'other',
      item: { Put: { TableName, Item: { ...pointerKey(run.id), entity: 'run-id', environment: run.environment } } },
    },
  ];
  if (claims.idempotency) {
    items.push({
      kind: 'idempotency',
      item: {
        Put: {
          TableName,
          Item: {
            ...runIdempotencyKey(claims.idempotency.key),
            entity: 'idempotency',
            fingerprint: claims.idempotency.fingerprint,
            runId: run.id,
            response: run,
            expiresAt: now + TTL.idempotency,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    });
  }
  if (claims.dedupKey) {
    items.push({
      kind: 'dedup',
      item: {
        Put: {
          TableName,
          Item: { ...dedupClaimKey(claims.dedupKey), entity: 'dedup', expiresAt: now + TTL.dedup },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
    });
  }
  for (const event of events)
    items.push({ kind: 'other', item: { Put: { TableName, Item: toOutboxItem(event, now) } } });

  try {
    await table.client.send(new TransactWriteCommand({ TransactItems: items.map((i) => i.item) }));
    return { run, replayed: false };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed = (kind: string) => {
      const index = items.findIndex((i) => i.kind === kind);
      const reason = index >= 0 ? reasons[index] : undefined;
      return reason?.Code === 'ConditionalCheckFailed' ? reason : undefined;
    };
    // A retried request first: it also collides with its own first run's claims.
    if (claims.idempotency && failed('idempotency')) {
      const earlier = await replayOf(table, claims.idempotency);
      if (!earlier) throw new Error('the run of an idempotency key vanished');
      return { run: earlier, replayed: true };
    }
    if (claims.dedupKey && failed('dedup')) throw new DuplicateEventError(claims.dedupKey);
    const active = failed('active');
    if (active) {
      const runId = active.Item ? String(unmarshall(active.Item).activeRun) : 'unknown';
      throw new RunActiveError(runId, `Rollback run ${runId} is already RUNNING in ${run.environment}.`);
    }
    const claim = failed('claim');
    if (claim) {
      const runId = claim.Item ? String(unmarshall(claim.Item).runId) : 'unknown';
      throw new DeploymentClaimedError(
        runId,
        `Deployment ${claims.deploymentId} (${run.current.imageTag}) already has rollback run ${runId}; a failed run is never retried automatically.`,
      );
    }
    throw error;
  }
}

/** Reading runs, and starting one: what the routes and the alarm path that start runs need. */
export function runStarter(table: Table): RunStarts {
  return { ...runReader(table), start: (run, claims, events) => start(table, run, claims, events) };
}
