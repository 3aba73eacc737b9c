/**
 * Seeds the deployments table with realistic records, written in exactly the shape the store
 * writes them (its own `toItem`, plus the `ID#` pointer item), with parallel BatchWriteItem.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { environmentUpdate, toItem } from '../functions/adapters/dynamodb/items.js';
import { type Deployment, newestFirst, type Status } from '../functions/core/deployment.js';

const MINUTE = 60_000;
/** Time between two records of a seeded history. */
const HISTORY_SPACING = 120 * MINUTE;
/** BatchWriteItem takes at most 25 items. */
const BATCH = 25;

/** A record as a CI pipeline records it (the contract's example), at `deployedAt`. */
export function sampleRecord(
  environment: string,
  n: number,
  deployedAt: Date,
  overrides: Partial<Pick<Deployment, 'imageTag' | 'status'>> = {},
): Deployment {
  const sha = (n * 2654435761).toString(16).padStart(7, '0').slice(-7);
  const at = deployedAt.toISOString();
  return {
    id: ulid(deployedAt.getTime()),
    environment,
    imageTag: overrides.imageTag ?? `v1.${n}.0-${sha}`,
    imageDigest: `sha256:${sha.repeat(10).slice(0, 64).padEnd(64, '0')}`,
    status: overrides.status ?? 'DEPLOYED',
    deployedAt: at,
    deployedBy: `arn:aws:sts::123456789012:assumed-role/ci-deployer/run-${n}`,
    version: `v1.${n}.0`,
    commitSha: sha,
    commitAt: new Date(deployedAt.getTime() - 3 * 60 * MINUTE).toISOString(),
    notes: 'Adds the invoices view',
    migrations: [{ id: `${String(n).padStart(4, '0')}_add_invoice_index`, reversible: true, description: null }],
    pipelineRunUrl: `https://ci.example.com/runs/${n}`,
    rollbackOf: null,
    rolledBackAt: null,
    rolledBackBy: null,
    rollbackReason: null,
    override: null,
    updatedAt: at,
  };
}

/** The record's item and its id pointer, as DeploymentStore.create writes them. */
function itemsOf(record: Deployment): Record<string, unknown>[] {
  const item = toItem(record);
  return [item, { PK: `ID#${record.id}`, SK: 'ID', entity: 'id', environment: record.environment, recordSK: item.SK }];
}

/** Writes `records` (and their pointers), `concurrency` batches at a time, retrying unprocessed items. */
export async function putRecords(
  client: DynamoDBDocumentClient,
  tableName: string,
  records: readonly Deployment[],
  concurrency = 16,
): Promise<void> {
  const items = records.flatMap(itemsOf);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      let batch = items.slice(next, next + BATCH).map((Item) => ({ PutRequest: { Item } }));
      next += BATCH;
      for (let attempt = 0; batch.length > 0; attempt++) {
        if (attempt > 10) throw new Error('DynamoDB Local left items unprocessed 10 times in a row');
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
        batch = (result.UnprocessedItems?.[tableName] ?? []) as typeof batch;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * The environment items of `records` (each environment's newest record as `current`), with
 * the very update the store sends in each record write's transaction.
 */
export async function putEnvironments(
  client: DynamoDBDocumentClient,
  tableName: string,
  records: readonly Deployment[],
): Promise<void> {
  const newest = new Map<string, Deployment>();
  for (const r of records) {
    const seen = newest.get(r.environment);
    if (!seen || newestFirst(r, seen) < 0) newest.set(r.environment, r);
  }
  for (const record of newest.values()) {
    await client.send(new UpdateCommand(environmentUpdate(tableName, record, 'newer').Update));
  }
}

/** What a seeded history holds, so the capacity calls can aim at it. */
export interface History {
  environment: string;
  size: number;
  /** The newest record (DEPLOYED): the default "current" of a rollback target. */
  current: Deployment;
  /** The rollback target of `current`; `gap` FAILED records lie between them. */
  target: Deployment;
  gap: number;
  /** A tag deployed to one record in ten of the history. */
  hotTag: string;
  hotCount: number;
}

/**
 * An environment's history of `size` records, one a minute up to now, oldest first: DEPLOYED
 * releases (one in ten is `hotTag`), then the rollback target, then `gap` FAILED attempts, then
 * the current release. Also `others` small environments holding `hotTag` too, so listing a
 * tag's environments has more than one to find.
 */
export async function seedHistory(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { environment: string; size: number; gap: number; hotTag: string; others: string[] },
): Promise<History> {
  const { environment, size, gap, hotTag } = options;
  // A deployment every two hours (a busy team): a 90-day window holds about 1,080 of them, as
  // it would in life. One a minute put all 100,000 in the metrics' window, whose pages then
  // outran DynamoDB Local's answers (the client's 2 s per attempt: a 503).
  const start = Date.now() - (size + 10) * HISTORY_SPACING;
  const at = (n: number) => new Date(start + n * HISTORY_SPACING);
  const records: Deployment[] = [];
  const bulk = size - gap - 2;
  for (let n = 0; n < bulk; n++) {
    records.push(sampleRecord(environment, n, at(n), n % 10 === 0 ? { imageTag: hotTag } : {}));
  }
  const target = sampleRecord(environment, bulk, at(bulk), { imageTag: 'v2.0.0-target' });
  records.push(target);
  for (let n = bulk + 1; n < size - 1; n++) records.push(sampleRecord(environment, n, at(n), { status: 'FAILED' }));
  const current = sampleRecord(environment, size - 1, at(size - 1), { imageTag: 'v2.1.0-current' });
  records.push(current);
  for (const other of options.others) {
    for (let n = 0; n < 10; n++) records.push(sampleRecord(other, n, at(n), n % 2 === 0 ? { imageTag: hotTag } : {}));
  }
  await putRecords(client, tableName, records);
  await putEnvironments(client, tableName, records);
  const hotCount = records.filter((r) => r.environment === environment && r.imageTag === hotTag).length;
  return { environment, size, current, target, gap, hotTag, hotCount };
}

/** `count` records of one status in `environment`, each with its own tag `<prefix>-<n>` (zero-padded). */
export function fodder(environment: string, prefix: string, status: Status, count: number): Deployment[] {
  const start = Date.now() - (count + 10) * MINUTE;
  return Array.from({ length: count }, (_, n) =>
    sampleRecord(environment, n, new Date(start + n * MINUTE), {
      imageTag: `${prefix}-${String(n).padStart(6, '0')}`,
      status,
    }),
  );
}
