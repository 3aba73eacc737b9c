import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { finishDeployment } from '../../functions/core/use-cases/finish-deployment.js';
import { getMetrics } from '../../functions/core/use-cases/get-metrics.js';
import { listEnvironments } from '../../functions/core/use-cases/list-environments.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { freshTable } from '../support/dynamodb.js';
import { memoryPorts } from '../support/memory-store.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
const by = { by: 'arn:aws:iam::123456789012:role/ci' };

async function record(table: Table, body: Record<string, unknown>) {
  return (await recordDeployment(table.ports, RecordDeploymentInput.parse(body), by)).record;
}

async function currentOf(table: Table, environment: string) {
  return (await table.store.environments()).find((e) => e.environment === environment);
}

/** The environment's newest record read from its history: what `current` must equal. */
async function newestOf(table: Table, environment: string) {
  return (await table.store.page(environment, { limit: 1 })).items[0];
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('the environment item on DynamoDB Local', () => {
  let table: Table;
  beforeAll(async () => {
    table = await freshTable();
  });

  it('follows creates, finishes and rollbacks, and an older write never replaces a newer current', async () => {
    const first = await record(table, { environment: 'prod', imageTag: 'v1', deployedAt: minutesAgo(30) });
    expect((await currentOf(table, 'prod'))?.current).toEqual(first);
    const started = await record(table, { environment: 'prod', imageTag: 'v2', status: 'IN_PROGRESS' });
    expect((await currentOf(table, 'prod'))?.current).toEqual(started);
    // A late report of an older deployment lands in the history, not in `current`.
    const late = await record(table, { environment: 'prod', imageTag: 'v0', deployedAt: minutesAgo(60) });
    expect((await newestOf(table, 'prod'))?.id).toBe(started.id);
    expect((await currentOf(table, 'prod'))?.current?.id).toBe(started.id);
    // Finishing or rolling back an older record leaves `current` alone.
    await rollbackDeployment(table.ports, { imageTag: 'v1', environment: 'prod', ...by });
    expect((await currentOf(table, 'prod'))?.current).toEqual(started);
    const done = await finishDeployment(table.ports, started.id, { status: 'DEPLOYED', notes: 'smoke ok' });
    expect((await currentOf(table, 'prod'))?.current).toEqual(done);
    const rolled = await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'prod', ...by });
    expect(await currentOf(table, 'prod')).toEqual({
      environment: 'prod',
      current: rolled,
      lastDeployedAt: rolled.deployedAt,
      activeRun: null,
      readiness: null,
    });
    expect(late.id).not.toBe(rolled.id);
  });

  it("keeps another writer's activeRun: record writes SET their own attributes only", async () => {
    await record(table, { environment: 'runs', imageTag: 'v1' });
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: 'ENVIRONMENTS', SK: 'ENV#runs' },
        UpdateExpression: 'SET activeRun = :run',
        ExpressionAttributeValues: { ':run': '01JDQ5T2M8W3K9Z4X7V6B1N0CE' },
      }),
    );
    const next = await record(table, { environment: 'runs', imageTag: 'v2' });
    await rollbackDeployment(table.ports, { imageTag: 'v2', environment: 'runs', ...by });
    const state = await currentOf(table, 'runs');
    expect(state).toMatchObject({
      activeRun: '01JDQ5T2M8W3K9Z4X7V6B1N0CE',
      current: { id: next.id, status: 'ROLLED_BACK' },
    });
    const item = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: { PK: 'ENVIRONMENTS', SK: 'ENV#runs' } }),
    );
    expect(item.Item).toMatchObject({ entity: 'environment', environment: 'runs', lastDeployedAt: next.deployedAt });
  });

  it('ends with the newest record as current under concurrent writes in any order', async () => {
    // 16 deployments reported at once, their deployedAt shuffled against their arrival.
    const offsets = [7, 3, 15, 0, 11, 5, 9, 1, 13, 2, 8, 14, 4, 10, 6, 12];
    const written = await Promise.all(
      offsets.map((m) => record(table, { environment: 'race', imageTag: `v${m}`, deployedAt: minutesAgo(m) })),
    );
    const newest = written.find((r) => r.imageTag === 'v0') as Deployment;
    expect((await newestOf(table, 'race'))?.id).toBe(newest.id);
    expect((await currentOf(table, 'race'))?.current).toEqual(newest);
  });

  it('settles a finish of the current record racing a newer create, in both orders', async () => {
    for (let round = 0; round < 4; round++) {
      const environment = `race-finish-${round}`;
      const started = await record(table, {
        environment,
        imageTag: 'v1',
        status: 'IN_PROGRESS',
        deployedAt: minutesAgo(5),
      });
      const [finished, newer] = await Promise.all([
        finishDeployment(table.ports, started.id, { status: 'DEPLOYED' }),
        record(table, { environment, imageTag: 'v2' }),
      ]);
      expect(finished.status).toBe('DEPLOYED');
      expect((await currentOf(table, environment))?.current).toEqual(newer);
      // And a rollback of the current one racing a create of an older one.
      const [rolled] = await Promise.all([
        rollbackDeployment(table.ports, { imageTag: 'v2', environment, ...by }),
        record(table, { environment, imageTag: 'v0', deployedAt: minutesAgo(10) }),
      ]);
      expect((await currentOf(table, environment))?.current).toEqual(rolled);
    }
  });

  it('lists every environment with one Query, whatever the number of records', async () => {
    table.capacity.length = 0;
    const { items } = await listEnvironments({ ...table.ports, redeployVia: () => null });
    expect(table.capacity.map((c) => c.operation)).toEqual(['environments']);
    expect(items.map((i) => i.environment)).toEqual([
      'prod',
      'race',
      'race-finish-0',
      'race-finish-1',
      'race-finish-2',
      'race-finish-3',
      'runs',
    ]);
    for (const item of items) expect(item.current?.id).toBe((await newestOf(table, item.environment))?.id);
  });
});

describe('metrics on DynamoDB Local', () => {
  it('reads the window by its sort key range, edges included, and agrees with the in-memory store', async () => {
    const table = await freshTable();
    const memory = memoryPorts(new Date());
    const write = async (body: Record<string, unknown>) => {
      const r = await record(table, body);
      await memory.store.create(r);
      return r;
    };
    await write({ environment: 'm', imageTag: 'before', deployedAt: '2026-09-30T23:59:59.999Z' });
    await write({
      environment: 'm',
      imageTag: 'first',
      deployedAt: '2026-10-01T00:00:00.000Z',
      commitAt: '2026-09-30T22:00:00Z',
    });
    const bad = await write({ environment: 'm', imageTag: 'bad', deployedAt: '2026-10-31T23:59:59.999Z' });
    await rollbackDeployment(table.ports, { imageTag: 'bad', environment: 'm', ...by });
    await memory.store.markRolledBack({ ...((await table.store.get(bad.id)) as Deployment) }, { events: [] });
    for (let i = 0; i < 30; i++) {
      await write({
        environment: 'm',
        imageTag: `after-${i}`,
        deployedAt: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 60_000).toISOString(),
      });
    }
    await write({ environment: 'other', imageTag: 'elsewhere', deployedAt: '2026-10-15T00:00:00Z' });

    table.capacity.length = 0;
    const query = { environment: 'm', from: '2026-10-01', to: '2026-10-31', interval: 'month' as const };
    const report = await getMetrics(table.ports, query);
    expect(report).toEqual(await getMetrics(memory.ports, query));
    expect(report.summary.deploymentFrequency).toEqual({ count: 2, forward: 2 });
    expect(report.summary.changeLeadTime).toEqual({ median: 7200, p90: 7200, count: 1 });
    // The recovery is the first record of November, one millisecond after the window.
    expect(report.summary.failedDeploymentRecoveryTime).toMatchObject({ count: 1, median: 0, unrecovered: [] });
    // One Query for the window, and one small page past it for the recovery: not the 30 records after.
    expect(table.capacity.map((c) => c.operation)).toEqual(['range', 'range']);
  });
});
