import { PublishCommand, type PublishCommandInput, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { autoRollback } from '../../functions/core/use-cases/auto-rollback.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { alarmArnOf } from '../../infra/local/alarm-events.js';
import { startStreamPoller } from '../../infra/local/stream-poller.js';
import { freshTable } from '../support/dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rollbacks';
const sns = mockClient(SNSClient);
let table: Table;
let handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

beforeAll(async () => {
  table = await freshTable();
  process.env.TABLE_NAME = table.tableName;
  process.env.TOPIC_ARN = TOPIC_ARN;
  ({ handler } = await import('../../functions/events/notifier-handler.js'));
});
afterEach(() => {
  sns.reset();
});

async function deploy(environment: string, imageTag: string, minutesAgo: number) {
  const input = RecordDeploymentInput.parse({
    environment,
    imageTag,
    deployedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  });
  return (await recordDeployment(table.ports, input, { by: 'arn:aws:iam::123456789012:role/ci' })).record;
}

/**
 * Makes real changes in `environment`: an alarm rollback of v2 (DEPLOYMENT_ROLLED_BACK and
 * ROLLBACK_REQUESTED), a manual rollback of v3 (DEPLOYMENT_ROLLED_BACK) and an alarm skip
 * (AUTO_ROLLBACK_SKIPPED): four outbox items. Holds are left out (holdAfterRollback `[]`): the
 * notifier treats every item alike, and these tests count them (holds.test.ts has the holds').
 */
async function changes(environment: string) {
  const ports = { ...table.ports, holdAfterRollback: [] };
  await deploy(environment, 'v1.0.0', 30);
  await deploy(environment, 'v2.0.0', 20);
  const rules = { 'api-5xx': { environment, windowMinutes: 60 } };
  const alarm = (at: Date) => ({
    name: 'api-5xx',
    arn: alarmArnOf('api-5xx'),
    state: 'ALARM',
    previousState: 'OK',
    reason: 'Threshold Crossed',
    stateChangedAt: at.toISOString(),
  });
  expect((await autoRollback(ports, alarm(new Date()), rules)).kind).toBe('rolled-back');
  await deploy(environment, 'v3.0.0', 0);
  await rollbackDeployment(ports, { imageTag: 'v3.0.0', environment, by: 'ops', reason: 'manual' });
  expect((await autoRollback(ports, alarm(new Date(Date.now() + 1000)), rules)).kind).toBe('skipped');
}

/** The stream records of the table so far, as Lambda's event source would deliver them. */
async function streamRecords(count: (records: DynamoDBRecord[]) => boolean) {
  const seen: DynamoDBRecord[] = [];
  const poller = await startStreamPoller({
    endpoint: table.endpoint,
    tableName: table.tableName,
    intervalMs: 20,
    handler: async (event) => {
      seen.push(...event.Records);
      return { batchItemFailures: [] };
    },
  });
  const deadline = Date.now() + 10_000;
  while (!count(seen) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await poller.stop();
  return seen;
}

const outboxInserts = (records: DynamoDBRecord[], environment: string) =>
  records.filter(
    (r) =>
      r.eventName === 'INSERT' &&
      r.dynamodb?.NewImage?.entity?.S === 'outbox' &&
      r.dynamodb.NewImage.environment?.S === environment,
  );

/** What the notifier must send for an outbox stream record. */
function expectedPublish(record: DynamoDBRecord): PublishCommandInput {
  const image = record.dynamodb?.NewImage ?? {};
  return {
    TopicArn: TOPIC_ARN,
    Subject: image.subject?.S,
    Message: image.message?.S,
    MessageAttributes: {
      eventType: { DataType: 'String', StringValue: image.eventType?.S },
      environment: { DataType: 'String', StringValue: image.environment?.S },
    },
  };
}

const published = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
const failure = () =>
  new SNSServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });

describe('notifier: outbox items written by real rollbacks → SNS', () => {
  it('publishes each outbox INSERT once, with the exact PublishCommand input, and ignores every other record', async () => {
    await changes('notify');
    const records = await streamRecords((r) => outboxInserts(r, 'notify').length >= 4);
    const outbox = outboxInserts(records, 'notify');
    expect(outbox).toHaveLength(4);
    expect(records.length).toBeGreaterThan(outbox.length); // deployments, updates, dedup claims too
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    const response = await handler({ Records: records });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual(outbox.map(expectedPublish));
    const types = published().map((input) => input.MessageAttributes?.eventType?.StringValue);
    expect(types).toEqual([
      'DEPLOYMENT_ROLLED_BACK',
      'ROLLBACK_REQUESTED',
      'DEPLOYMENT_ROLLED_BACK',
      'AUTO_ROLLBACK_SKIPPED',
    ]);
    expect(published()[0]).toMatchObject({
      Subject: '[notify] v2.0.0 rolled back',
      MessageAttributes: { environment: { DataType: 'String', StringValue: 'notify' } },
    });
    expect(JSON.parse(published()[1]?.Message ?? '{}')).toMatchObject({
      version: 1,
      eventType: 'ROLLBACK_REQUESTED',
      environment: 'notify',
      targetImageTag: 'v1.0.0',
      current: { imageTag: 'v2.0.0', status: 'ROLLED_BACK', rolledBackBy: 'auto-rollback:api-5xx' },
      target: { imageTag: 'v1.0.0', status: 'DEPLOYED' },
    });

    // Each outbox item now carries publishedAt.
    for (const record of outbox) {
      const key = { PK: record.dynamodb?.NewImage?.PK?.S, SK: 'OUTBOX' };
      const item = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key }));
      expect(item.Item?.publishedAt).toEqual(expect.any(String));
    }

    // The stream delivers the same records again: nothing is published twice.
    sns.resetHistory();
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(published()).toEqual([]);
  });

  it('SNS failing on the first attempts: the batch reports its failures, the retries publish, nothing goes out twice', async () => {
    await changes('faults');
    const outbox = outboxInserts(await streamRecords((r) => outboxInserts(r, 'faults').length >= 4), 'faults');
    expect(outbox).toHaveLength(4);
    const sequence = (r: DynamoDBRecord | undefined) => r?.dynamodb?.SequenceNumber ?? '';
    // Publish #1 succeeds, #2 and #3 fail, then SNS recovers.
    sns
      .on(PublishCommand)
      .resolvesOnce({ MessageId: 'ok-1' })
      .rejectsOnce(failure())
      .rejectsOnce(failure())
      .resolves({ MessageId: 'ok' });

    // Delivery 1: the first record goes out, the second fails; it and every later one are reported.
    const first = await handler({ Records: outbox });
    expect(first.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(outbox.slice(1).map(sequence));

    // Lambda redelivers from the lowest failed sequence number; with bisect, the first half.
    const retried = outbox.slice(1);
    const second = await handler({ Records: retried });
    expect(second.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(retried.map(sequence));

    // A redelivery of the whole batch (e.g. a bisected retry) after SNS recovered.
    const third = await handler({ Records: outbox });
    expect(third).toEqual({ batchItemFailures: [] });

    const calls = published();
    expect(calls).toHaveLength(1 + 2 + 3); // one ok, two rejected, the three that were left
    const succeeded = [calls[0], ...calls.slice(3)];
    expect(succeeded).toEqual(outbox.map(expectedPublish));
    const ids = succeeded.map((input) => JSON.parse(input?.Message ?? '{}').eventId);
    expect(new Set(ids).size).toBe(4);
  });

  it('through the stream poller (local mode): SNS down for a while, every notification still goes out exactly once', async () => {
    await changes('poller');
    const outbox = outboxInserts(await streamRecords((r) => outboxInserts(r, 'poller').length >= 4), 'poller');
    let attempts = 0;
    sns.on(PublishCommand).callsFake(async (input: PublishCommandInput) => {
      attempts += 1;
      if (attempts <= 3) throw failure();
      return { MessageId: `ok-${attempts}-${input.MessageAttributes?.eventType?.StringValue}` };
    });
    const responses: DynamoDBBatchResponse[] = [];
    const poller = await startStreamPoller({
      endpoint: table.endpoint,
      tableName: table.tableName,
      intervalMs: 20,
      onError: () => {},
      handler: async (event) => {
        const response = await handler(event);
        responses.push(response);
        return response;
      },
    });
    const deadline = Date.now() + 15_000;
    const ofPoller = () =>
      published().filter((input) => input.MessageAttributes?.environment?.StringValue === 'poller');
    while (ofPoller().length < 4 + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();

    expect(responses.some((r) => r.batchItemFailures.length > 0)).toBe(true);
    const successful = ofPoller().slice(3);
    expect(successful).toEqual(outbox.map(expectedPublish));
    // The earlier environments' records were replayed too (TRIM_HORIZON) and published nothing.
    expect(published().filter((input) => input.MessageAttributes?.environment?.StringValue !== 'poller')).toEqual([]);
  });
});
