import { PublishCommand, type PublishCommandInput, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoOutboxLedger } from '../../functions/adapters/outbox-ledger.js';
import { snsPublishers } from '../../functions/adapters/sns-publisher.js';
import { DynamoUnpublishedOutbox } from '../../functions/adapters/unpublished-outbox.js';
import type { ChatNotification } from '../../functions/core/chat-notification.js';
import type { SweeperPorts } from '../../functions/core/ports.js';
import { createNotifier } from '../../functions/events/notifier.js';
import { createSweeper, SWEEP } from '../../functions/events/sweeper.js';
import { startStreamPoller } from '../../infra/local/stream-poller.js';
import { freshTable } from '../support/dynamodb.js';
import { outboxOf } from '../support/outbox.js';

/**
 * Two destinations from one outbox, on DynamoDB Local: the notifier (fed by the table's real
 * stream, through local mode's poller) and the sweeper publish each outbox item to the rollback
 * topic and its chat rendering to the chat topic, each exactly once, whatever is redelivered and
 * whichever topic fails. The ledger is the real one; SNS is checked at the SDK boundary.
 */

type Table = Awaited<ReturnType<typeof freshTable>>;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rollbacks';
const CHAT_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rollbacks-chat';
const sns = mockClient(SNSClient);
let table: Table;
let outbox: ReturnType<typeof outboxOf>;
let ports: SweeperPorts;

beforeAll(async () => {
  table = await freshTable();
  outbox = outboxOf(table);
  ports = {
    ledger: new DynamoOutboxLedger(table.client, table.tableName),
    ...snsPublishers({ region: 'us-east-1', topicArn: TOPIC_ARN, chatTopicArn: CHAT_TOPIC_ARN }, () => ({}), 'test'),
    unpublished: new DynamoUnpublishedOutbox(table.client, table.tableName),
    now: () => new Date(),
  };
});
afterEach(() => sns.reset());

const failure = () =>
  new SNSServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });

/** What was published to one topic, for the given event ids. */
function publishedTo(topicArn: string, eventIds: string[]): PublishCommandInput[] {
  return sns
    .commandCalls(PublishCommand)
    .map((c) => c.args[0].input)
    .filter((input) => input.TopicArn === topicArn)
    .filter((input) => {
      const body = JSON.parse(String(input.Message));
      return eventIds.includes(body.eventId ?? body.id);
    });
}

/**
 * Runs the notifier over the table's stream (local mode's poller, from the oldest record) until
 * `done`, and returns the outbox records it was handed and what it answered.
 */
async function notifyUntil(done: () => boolean) {
  const handler = createNotifier(ports);
  const records: DynamoDBRecord[] = [];
  const responses: DynamoDBBatchResponse[] = [];
  const poller = await startStreamPoller({
    endpoint: table.endpoint,
    tableName: table.tableName,
    intervalMs: 20,
    onError: () => {},
    handler: async (event) => {
      records.push(...event.Records.filter((r) => r.dynamodb?.NewImage?.entity?.S === 'outbox'));
      const response = await handler(event);
      responses.push(response);
      return response;
    },
  });
  const deadline = Date.now() + 20_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await poller.stop();
  return { records, responses, handler };
}

describe('the notifier with a chat topic', () => {
  it("publishes each item once to each topic: the rollback topic's JSON as before, the chat topic its rendering", async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const ids = await outbox.rollbackIn('chat-a');
    expect(ids).toHaveLength(2);
    const { records, handler } = await notifyUntil(() => publishedTo(CHAT_TOPIC_ARN, ids).length >= ids.length);

    const topic = publishedTo(TOPIC_ARN, ids);
    const chat = publishedTo(CHAT_TOPIC_ARN, ids);
    expect(topic).toHaveLength(ids.length);
    expect(chat).toHaveLength(ids.length);
    for (const id of ids) {
      const stored = await outbox.item(id);
      const attributes = {
        eventType: { DataType: 'String', StringValue: stored?.eventType },
        environment: { DataType: 'String', StringValue: 'chat-a' },
      };
      // The rollback topic gets exactly what the transaction wrote, as before.
      expect(topic).toContainEqual({
        TopicArn: TOPIC_ARN,
        Subject: stored?.subject,
        Message: stored?.message,
        MessageAttributes: attributes,
      });
      const rendering = chat.find((c) => JSON.parse(String(c.Message)).id === id);
      expect(rendering).toMatchObject({
        TopicArn: CHAT_TOPIC_ARN,
        Subject: stored?.subject,
        MessageAttributes: attributes,
      });
      const body = JSON.parse(String(rendering?.Message)) as ChatNotification;
      expect(body).toMatchObject({ version: '1.0', source: 'custom', id, metadata: { eventType: stored?.eventType } });
      // The rollback, and the hold its write put on chat-a.
      expect(body.content.title).toMatch(
        stored?.eventType === 'ENVIRONMENT_HELD' ? /^⛔ \[chat-a\] Held: / : /^⏪ \[chat-a\] v2\.0\.0 rolled back$/,
      );
      // Both publications recorded; the item has left the Unpublished index.
      expect(stored).toMatchObject({ publishedAt: expect.any(String), chatPublishedAt: expect.any(String) });
      expect(stored?.GSI2PK).toBeUndefined();
    }

    // The stream delivers the same records again: nothing goes out twice, to either topic.
    sns.resetHistory();
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('the chat topic down: pipelines still get theirs at once; the sweeper publishes the chat messages, once, and empties the index', async () => {
    sns.on(PublishCommand, { TopicArn: TOPIC_ARN }).resolves({ MessageId: 'm' });
    sns.on(PublishCommand, { TopicArn: CHAT_TOPIC_ARN }).rejects(failure());
    const ids = await outbox.rollbackIn('chat-b');
    const { responses } = await notifyUntil(() => publishedTo(TOPIC_ARN, ids).length >= ids.length);

    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    expect(publishedTo(TOPIC_ARN, ids)).toHaveLength(ids.length);
    for (const id of ids) {
      const item = await outbox.item(id);
      expect(item?.publishedAt).toEqual(expect.any(String));
      expect(item?.chatPublishedAt).toBeUndefined();
      expect(item?.GSI2PK).toBe('OUTBOX#UNPUBLISHED');
    }

    // The chat topic is back; the next sweep (five minutes on) publishes only the chat messages.
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const later = () => new Date(Date.now() + SWEEP.minAgeMs + 60_000);
    const sweep = await createSweeper({ ...ports, now: later })();
    expect(sweep.failed).toEqual([]);
    expect(sweep.published).toEqual(expect.arrayContaining(ids));
    expect(publishedTo(TOPIC_ARN, ids)).toEqual([]);
    expect(publishedTo(CHAT_TOPIC_ARN, ids)).toHaveLength(ids.length);
    for (const id of ids) expect((await outbox.item(id))?.GSI2PK).toBeUndefined();
    expect((await createSweeper({ ...ports, now: later })()).found).toBe(0);
  });

  it('the rollback topic failing once: the record is retried, and its redelivery does not send the chat message again', async () => {
    const ids = await outbox.rollbackIn('chat-c');
    let topicCalls = 0;
    sns.on(PublishCommand, { TopicArn: TOPIC_ARN }).callsFake(async () => {
      topicCalls += 1;
      if (topicCalls === 1) throw failure();
      return { MessageId: 'm' };
    });
    sns.on(PublishCommand, { TopicArn: CHAT_TOPIC_ARN }).resolves({ MessageId: 'm' });
    const { responses } = await notifyUntil(() => publishedTo(TOPIC_ARN, ids).length >= ids.length + 1);

    expect(responses.some((r) => r.batchItemFailures.length > 0)).toBe(true);
    // One failed attempt and then each item once on the rollback topic; each chat message once.
    expect(publishedTo(TOPIC_ARN, ids)).toHaveLength(ids.length + 1);
    expect(publishedTo(CHAT_TOPIC_ARN, ids)).toHaveLength(ids.length);
    for (const id of ids) expect((await outbox.item(id))?.GSI2PK).toBeUndefined();
  });
});

describe('the ledger with two destinations (DynamoDB Local)', () => {
  it('marks of different destinations made at the same moment settle the item; of one destination, one wins', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const ids: string[] = [];
    for (const environment of ['race-a', 'race-b', 'race-c', 'race-d'])
      ids.push(...(await outbox.rollbackIn(environment)));
    const ledger = new DynamoOutboxLedger(table.client, table.tableName);
    const at = new Date().toISOString();
    const owed = ['topic', 'chat'] as const;
    const marks = await Promise.all(
      ids.flatMap((id) => [
        ledger.markPublished(id, 'topic', at, owed),
        ledger.markPublished(id, 'chat', at, owed),
        ledger.markPublished(id, 'chat', at, owed),
        ledger.markPublished(id, 'topic', at, owed),
      ]),
    );
    expect(marks.filter(Boolean)).toHaveLength(ids.length * 2);
    for (const id of ids) {
      expect(await ledger.lookUp(id)).toEqual({ published: ['topic', 'chat'], pending: false });
    }
  });

  it('an item the chat topic no longer owes (chat removed) is settled by the next sweep, with nothing published', async () => {
    const ids = await outbox.rollbackIn('chat-gone');
    const ledger = new DynamoOutboxLedger(table.client, table.tableName);
    for (const id of ids) await ledger.markPublished(id, 'topic', new Date().toISOString(), ['topic', 'chat']);
    for (const id of ids) expect(await ledger.lookUp(id)).toEqual({ published: ['topic'], pending: true });

    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const { chat: _, ...withoutChat } = ports;
    const sweep = await createSweeper({ ...withoutChat, now: () => new Date(Date.now() + SWEEP.minAgeMs + 60_000) })();
    expect(sweep.alreadyPublished).toEqual(expect.arrayContaining(ids));
    expect(publishedTo(TOPIC_ARN, ids)).toEqual([]);
    for (const id of ids) expect(await ledger.lookUp(id)).toEqual({ published: ['topic'], pending: false });
  });
});
