import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoOutboxLedger } from '../../functions/adapters/outbox-ledger.js';
import { SnsPublisher } from '../../functions/adapters/sns-publisher.js';
import { DynamoUnpublishedOutbox } from '../../functions/adapters/unpublished-outbox.js';
import type { SweeperPorts } from '../../functions/core/ports.js';
import { createSweeper, SWEEP } from '../../functions/events/sweeper.js';
import { freshTable } from '../support/dynamodb.js';
import { outboxOf } from '../support/outbox.js';

/**
 * The sweeper on DynamoDB Local: outbox items the stream never delivered (here: no notifier
 * runs at all, as when the stream's retries gave up) are published through the sparse
 * Unpublished index once they are five minutes old, each once, and leave the index.
 * SNS is checked at the SDK boundary.
 */

type Table = Awaited<ReturnType<typeof freshTable>>;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:rollbacks';
const sns = mockClient(SNSClient);
let table: Table;
let outbox: ReturnType<typeof outboxOf>;

beforeAll(async () => {
  table = await freshTable();
  outbox = outboxOf(table);
});
afterEach(() => sns.reset());

function sweeperAt(minutesFromNow: number) {
  const ports: SweeperPorts = {
    ledger: new DynamoOutboxLedger(table.client, table.tableName),
    publisher: new SnsPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC_ARN),
    unpublished: new DynamoUnpublishedOutbox(table.client, table.tableName),
    now: () => new Date(Date.now() + minutesFromNow * 60_000),
  };
  return createSweeper(ports);
}

const published = () =>
  sns.commandCalls(PublishCommand).map((c) => JSON.parse(String(c.args[0].input.Message)).eventId);

describe('the outbox sweeper', () => {
  it('publishes, once, an item the stream gave up on, after five minutes; then the index is empty', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const ids = await outbox.rollbackIn('sweep-a');
    expect(ids.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) expect((await outbox.item(id))?.GSI2PK).toBe('OUTBOX#UNPUBLISHED');

    // Young items are still the stream's: nothing to sweep yet.
    expect((await sweeperAt(0)()).found).toBe(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);

    const sweep = await sweeperAt(SWEEP.minAgeMs / 60_000 + 1)();
    expect(sweep).toMatchObject({ found: ids.length, alreadyPublished: [], failed: [] });
    expect([...sweep.published].sort()).toEqual(ids);
    expect(published().sort()).toEqual(ids);
    const first = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    const stored = await outbox.item(String(published()[0]));
    expect(first).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: stored?.subject,
      Message: stored?.message,
      MessageAttributes: {
        eventType: { DataType: 'String', StringValue: stored?.eventType },
        environment: { DataType: 'String', StringValue: 'sweep-a' },
      },
    });
    for (const id of ids) {
      const item = await outbox.item(id);
      expect(typeof item?.publishedAt).toBe('string');
      expect(item?.GSI2PK).toBeUndefined();
      expect(item?.GSI2SK).toBeUndefined();
    }

    // The next sweep finds nothing: nothing is published twice.
    const again = await sweeperAt(SWEEP.minAgeMs / 60_000 + 2)();
    expect(again.found).toBe(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(ids.length);
  });

  it('skips an item the notifier published (its ledger mark took it out of the index)', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const ids = await outbox.rollbackIn('sweep-b');
    const ledger = new DynamoOutboxLedger(table.client, table.tableName);
    const [notified, ...rest] = ids;
    expect(await ledger.markPublished(String(notified), 'topic', new Date().toISOString(), ['topic'])).toBe(true);
    const sweep = await sweeperAt(SWEEP.minAgeMs / 60_000 + 1)();
    expect(sweep.published.sort()).toEqual(rest.sort());
    expect(published()).not.toContain(notified);
  });

  it('a publish that fails is counted, the item stays, and the next sweep delivers it', async () => {
    const ids = await outbox.rollbackIn('sweep-c');
    sns
      .on(PublishCommand)
      .rejects(
        new SNSServiceException({ name: 'InternalErrorException', $fault: 'server', $metadata: {}, message: 'boom' }),
      );
    const failing = await sweeperAt(SWEEP.minAgeMs / 60_000 + 1)();
    expect(failing.found).toBe(ids.length);
    expect(failing.failed.map((f) => f.eventId).sort()).toEqual(ids);
    for (const id of ids) expect((await outbox.item(id))?.GSI2PK).toBe('OUTBOX#UNPUBLISHED');

    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    const next = await sweeperAt(SWEEP.minAgeMs / 60_000 + 1)();
    expect(next.published.sort()).toEqual(ids);
    expect(published().sort()).toEqual(ids);
  });
});
