/**
 * The readiness summary on DynamoDB Local: the refresh (core/use-cases/refresh-readiness.ts)
 * over the real store and readiness store, its transitions in the outbox, concurrent refreshes
 * publishing a transition once, the environment item's other attributes left alone, and a
 * bounded number of reads however long the history. The AWS lookups are fakes here (their
 * adapters are tested at the SDK boundary: test/unit/readiness-probes.test.ts).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { putRecords, sampleRecord } from '../../bench/seed.js';
import { environmentKey } from '../../functions/adapters/dynamodb/items.js';
import { readinessStore } from '../../functions/adapters/dynamodb/readiness.js';
import type { ImageLookup } from '../../functions/core/safety.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { type RefreshPorts, refreshReadiness } from '../../functions/core/use-cases/refresh-readiness.js';
import { createReadinessRefresh } from '../../functions/events/readiness-refresh.js';
import { freshTable } from '../support/dynamodb.js';
import { outboxOf } from '../support/outbox.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
const by = { by: 'arn:aws:iam::123456789012:role/ci' };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

async function record(table: Table, body: Record<string, unknown>) {
  return (await recordDeployment(table.ports, RecordDeploymentInput.parse(body), by)).record;
}

/** Refresh ports over the table; the image lookup answers what `image.answer` holds. */
function refreshPorts(table: Table) {
  const image: { answer: ImageLookup } = { answer: { kind: 'found', digest: undefined } };
  const ports: RefreshPorts = {
    ...table.ports,
    targets: {
      prod: {
        via: 'callback',
        timeoutMinutes: 30,
        pollSeconds: 30,
        ecrRepository: 'team/web',
        verify: { alarms: [], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
      },
    },
    images: { lookUp: async () => image.answer },
    targetProbe: { probe: async () => ({ kind: 'ok', detail: 'there' }) },
    alarmProbe: { missing: async () => ({ kind: 'ok', missing: [] }) },
    readinessStore: readinessStore({
      client: table.client,
      tableName: table.tableName,
      onCapacity: (operation, consumed) => table.capacity.push({ operation, consumed }),
    }),
  };
  return { ports, image };
}

async function readinessEvents(table: Table) {
  const outbox = outboxOf(table);
  const items = await Promise.all((await outbox.ids()).map((id) => outbox.item(id)));
  return items.filter((i) => String(i?.eventType).startsWith('ROLLBACK_READINESS'));
}

describe('the readiness refresh on DynamoDB Local', () => {
  let table: Table;
  beforeAll(async () => {
    table = await freshTable();
    await record(table, { environment: 'prod', imageTag: 'v1', deployedAt: minutesAgo(30) });
    await record(table, { environment: 'prod', imageTag: 'v2', deployedAt: minutesAgo(20) });
  });

  it('stores the first summary silently, beside the attributes other writers own', async () => {
    // Another writer's attribute (the holds branch's `hold`) must survive the readiness write.
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: environmentKey('prod'),
        UpdateExpression: 'SET #hold = :hold',
        ExpressionAttributeNames: { '#hold': 'hold' },
        ExpressionAttributeValues: { ':hold': { reason: 'freeze', by: 'ops' } },
      }),
    );
    const before = (await table.store.environments())[0];
    const { ports } = refreshPorts(table);
    const outcome = await refreshReadiness(ports, 'prod');
    expect(outcome).toMatchObject({ kind: 'stored', published: null });
    const after = (await table.store.environments())[0];
    expect(after?.readiness).toEqual({ ready: true, checkedAt: expect.any(String), failing: [] });
    expect(after?.current).toEqual(before?.current);
    const item = (
      await table.client.send(
        new GetCommand({ TableName: table.tableName, Key: environmentKey('prod'), ConsistentRead: true }),
      )
    ).Item;
    expect(item?.hold).toEqual({ reason: 'freeze', by: 'ops' });
    expect(item?.currentSK).toBeDefined();
    expect(await readinessEvents(table)).toEqual([]);
  });

  it('publishes LOST once when a readiness is lost, though eight refreshes race, and RESTORED once after', async () => {
    const { ports, image } = refreshPorts(table);
    image.answer = { kind: 'gone', reason: 'image not found' };
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => refreshReadiness(ports, 'prod')));
    expect(outcomes.filter((o) => o.kind === 'stored' && o.published === 'lost')).toHaveLength(1);
    let events = await readinessEvents(table);
    expect(events.map((e) => e?.eventType)).toEqual(['ROLLBACK_READINESS_LOST']);
    const lost = JSON.parse(String(events[0]?.message));
    expect(lost).toMatchObject({
      eventType: 'ROLLBACK_READINESS_LOST',
      environment: 'prod',
      readiness: { ready: false, failing: ['image'] },
      checks: [{ name: 'image', status: 'FAILED' }],
    });
    expect((await table.store.environments())[0]?.readiness).toMatchObject({ ready: false, failing: ['image'] });

    image.answer = { kind: 'found', digest: undefined };
    await Promise.all(Array.from({ length: 8 }, () => refreshReadiness(ports, 'prod')));
    events = await readinessEvents(table);
    expect(events.map((e) => e?.eventType).sort()).toEqual(['ROLLBACK_READINESS_LOST', 'ROLLBACK_READINESS_RESTORED']);
  });

  it('creates no environment item for an environment without records', async () => {
    const { ports } = refreshPorts(table);
    expect(await refreshReadiness(ports, 'staging')).toEqual({ kind: 'no-environment' });
    expect((await table.store.environments()).map((e) => e.environment)).toEqual(['prod']);
  });

  it('refreshes each environment a stream batch changed once, and every environment on the schedule', async () => {
    await record(table, { environment: 'staging', imageTag: 'v1', deployedAt: minutesAgo(10) });
    const { ports } = refreshPorts(table);
    const refresh = createReadinessRefresh(ports);
    const image = (entity: string, environment: string) => ({
      eventName: 'MODIFY' as const,
      dynamodb: { NewImage: { entity: { S: entity }, environment: { S: environment } } },
    });
    const batch = await refresh({
      Records: [image('deployment', 'staging'), image('deployment', 'staging'), image('outbox', 'prod')],
    });
    expect(batch.refreshed).toEqual(['staging']);
    const scheduled = await refresh({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(scheduled.refreshed).toEqual(['prod', 'staging']);
    // staging has one record: nothing to roll back to; its first summary says so, silently.
    expect((await table.store.environments())[1]?.readiness).toMatchObject({ ready: false, failing: ['target'] });
  });
});

describe('the cost of a refresh', () => {
  it('reads the same whatever the history length', async () => {
    const reads = async (records: number) => {
      const table = await freshTable();
      const failed = Array.from({ length: records }, (_, i) =>
        sampleRecord('prod', i, new Date(Date.now() - (records - i + 1) * 60_000), {
          imageTag: 'broken',
          status: 'FAILED',
        }),
      );
      await putRecords(table.client, table.tableName, failed);
      await record(table, { environment: 'prod', imageTag: 'v9', deployedAt: minutesAgo(0) });
      const { ports } = refreshPorts(table);
      table.capacity.length = 0;
      await refreshReadiness(ports, 'prod');
      return table.capacity.map((c) => c.operation);
    };
    const short = await reads(3);
    const long = await reads(160);
    // The walk stops at READINESS_WALK_LIMIT records (five pages of 25) whatever lies beyond.
    expect(long.filter((o) => o === 'walk').length).toBeLessThanOrEqual(5);
    expect(short.filter((o) => o === 'walk')).toHaveLength(1);
    expect(long.filter((o) => o !== 'walk')).toEqual(short.filter((o) => o !== 'walk'));
    const longer = await reads(260);
    expect(longer).toEqual(long);
  }, 120_000);
});
