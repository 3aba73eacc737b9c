/**
 * The RunStore port on DynamoDB (items in table-schema.ts): runs live in their environment's
 * partition, newest last by ULID, with an id pointer for reads by id. Everything that makes a
 * run unique is a conditional write in the one transaction that starts it: the environment
 * item's `activeRun` (an UpdateItem SET, so the `current`/`lastDeployedAt` kept on the same
 * item by record writes stay untouched), the claim of the deployment being rolled back, the
 * alarm change's dedup item and the Idempotency-Key.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DeploymentClaimedError,
  DuplicateEventError,
  IdempotencyConflictError,
  RunActiveError,
} from '../core/errors.js';
import type { OutboxEvent } from '../core/notifications.js';
import type { Position } from '../core/ports.js';
import type { Run } from '../core/run.js';
import type { RunClaims, RunPage, RunReads, RunStarts, RunStore } from '../core/run-ports.js';
import { toOutboxItem } from './dynamodb-store.js';

const DAY = 24 * 60 * 60;
const TTL = { idempotency: DAY, dedup: 30 * DAY };

const runKey = (environment: string, id: string) => ({ PK: `RUNS#${environment}`, SK: `RUN#${id}` });
const pointerKey = (id: string) => ({ PK: `RUN#${id}`, SK: 'RUN' });
const claimKey = (deploymentId: string) => ({ PK: `RUNCLAIM#${deploymentId}`, SK: 'RUNCLAIM' });
const environmentKey = (environment: string) => ({ PK: 'ENVIRONMENTS', SK: `ENV#${environment}` });
/** Namespaced apart from record creation's keys: one key may be used on both routes. */
const idempotencyKey = (key: string) => ({ PK: `IDEMPOTENCY#rollbacks#${key}`, SK: 'IDEMPOTENCY' });
const dedupKey = (key: string) => ({ PK: `EVENT#${key}`, SK: 'EVENT' });

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Reading runs: by id, an environment's page, and what a start looks up first. */
export class DynamoRunReader implements RunReads {
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  async get(id: string): Promise<Run | undefined> {
    const pointer = await this.getItem(pointerKey(id));
    if (!pointer) return undefined;
    const item = await this.getItem(runKey(String(pointer.environment), id));
    return item ? (item.run as Run) : undefined;
  }

  async replayOf(idempotency: { key: string; fingerprint: string }): Promise<Run | undefined> {
    const first = await this.getItem(idempotencyKey(idempotency.key));
    if (!first) return undefined;
    if (first.fingerprint !== idempotency.fingerprint) {
      throw new IdempotencyConflictError(
        'This Idempotency-Key was first used with a different request body; use a new key for a new rollback.',
      );
    }
    // The first answer, as it was; a key written before the answer was kept gets the run now.
    return (first.response as Run | undefined) ?? this.get(String(first.runId));
  }

  async activeRun(environment: string): Promise<string | undefined> {
    const item = await this.getItem(environmentKey(environment));
    return typeof item?.activeRun === 'string' ? item.activeRun : undefined;
  }

  async page(environment: string, options: { limit: number; after?: Position | undefined }): Promise<RunPage> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
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
  }

  protected async getItem(key: Record<string, unknown>) {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }
}

/** Reading runs, and starting one: what the routes and the alarm path that start runs need. */
export class DynamoRunStarter extends DynamoRunReader implements RunStarts {
  async start(run: Run, claims: RunClaims, events: OutboxEvent[]): Promise<{ run: Run; replayed: boolean }> {
    const TableName = this.tableName;
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
            Item: this.runItem(run),
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
              ...idempotencyKey(claims.idempotency.key),
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
            Item: { ...dedupKey(claims.dedupKey), entity: 'dedup', expiresAt: now + TTL.dedup },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      });
    }
    for (const event of events)
      items.push({ kind: 'other', item: { Put: { TableName, Item: toOutboxItem(event, now) } } });

    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items.map((i) => i.item) }));
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
        const earlier = await this.replayOf(claims.idempotency);
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

  private runItem(run: Run) {
    return {
      ...runKey(run.environment, run.id),
      entity: 'run',
      id: run.id,
      status: run.status,
      startedAt: run.startedAt,
      run,
    };
  }
}

/** The whole RunStore: a run's progress and its end too, for the workflow. */
export class DynamoRunStore extends DynamoRunStarter implements RunStore {
  async save(run: Run): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(run.environment, run.id),
          UpdateExpression: 'SET #run = :run',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
          ExpressionAttributeValues: { ':run': run, ':running': 'RUNNING' },
        }),
      );
    } catch (error) {
      // The run already ended: a replayed step's progress must not overwrite its end.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async finish(run: Run, events: OutboxEvent[]): Promise<void> {
    const TableName = this.tableName;
    const now = nowSeconds();
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: runKey(run.environment, run.id),
                UpdateExpression: 'SET #run = :run, #status = :status, endedAt = :endedAt',
                ConditionExpression: '#status = :running',
                ExpressionAttributeNames: { '#run': 'run', '#status': 'status' },
                ExpressionAttributeValues: {
                  ':run': run,
                  ':status': run.status,
                  ':endedAt': run.endedAt,
                  ':running': 'RUNNING',
                },
              },
            },
            {
              Update: {
                TableName,
                Key: environmentKey(run.environment),
                UpdateExpression: 'REMOVE activeRun',
                ConditionExpression: 'activeRun = :id',
                ExpressionAttributeValues: { ':id': run.id },
              },
            },
            ...events.map((event) => ({ Put: { TableName, Item: toOutboxItem(event, now) } })),
          ],
        }),
      );
    } catch (error) {
      const first = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      // Ended already (a replay of the last step): nothing to do, nothing published twice.
      if (first?.Code === 'ConditionalCheckFailed') return;
      throw error;
    }
  }
}
