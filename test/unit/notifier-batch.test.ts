import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { renderChat } from '../../functions/core/chat-notification.js';
import { DESTINATIONS, type Destination, type Notification, type NotifierPorts } from '../../functions/core/ports.js';
import { createNotifier, notificationOf } from '../../functions/events/notifier.js';
import { CONTEXT, MESSAGES } from '../support/chat-fixtures.js';

let sequence = 100;
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', image: Record<string, unknown>): DynamoDBRecord {
  sequence += 1;
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: String(sequence),
      NewImage: marshall(image) as never,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}
const outbox = (eventId: string, over: Record<string, unknown> = {}) =>
  record('INSERT', {
    PK: `OUTBOX#${eventId}`,
    SK: 'OUTBOX',
    entity: 'outbox',
    eventType: 'DEPLOYMENT_ROLLED_BACK',
    environment: 'prod',
    subject: '[prod] v2 rolled back',
    message: JSON.stringify({ version: 1, eventId }),
    createdAt: '2026-11-27T10:00:00.000Z',
    expiresAt: 1,
    ...over,
  });

/**
 * A ledger and publishers in memory; `failOn` makes the rollback topic's publisher reject those
 * event ids once each, `chatFailOn` the chat topic's (`chat: true` gives the notifier one).
 */
function fakes(failOn: string[] = [], markFails = false, chat?: { failOn: string[] }) {
  const published: Notification[] = [];
  const chatPublished: Notification[] = [];
  const marks = new Map<string, string>();
  const key = (id: string, destination: Destination) => `${id} ${destination}`;
  const failing = new Set(failOn);
  const chatFailing = new Set(chat?.failOn ?? []);
  const ports: NotifierPorts = {
    ledger: {
      lookUp: async (id) => ({ published: DESTINATIONS.filter((d) => marks.has(key(id, d))), pending: true }),
      markPublished: async (id, destination, at) => {
        if (markFails) throw new Error('DynamoDB unavailable');
        if (marks.has(key(id, destination))) return false;
        marks.set(key(id, destination), at);
        return true;
      },
      settle: async () => {},
    },
    publisher: {
      publish: async (n) => {
        if (failing.delete(n.eventId)) throw new Error('SNS unavailable');
        published.push(n);
      },
    },
    ...(chat
      ? {
          chat: {
            publisher: {
              publish: async (n) => {
                if (chatFailing.delete(n.eventId)) throw new Error('chat topic unavailable');
                chatPublished.push(n);
              },
            },
            context: CONTEXT,
          },
        }
      : {}),
    now: () => new Date('2026-11-27T10:00:01.000Z'),
  };
  return { ports, published, chatPublished, marks };
}
const ids = (records: DynamoDBRecord[]) => records.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber }));

describe('notificationOf', () => {
  it('reads an outbox INSERT into a notification, and ignores every other record', () => {
    expect(notificationOf(outbox('e1'))).toEqual({
      eventId: 'e1',
      eventType: 'DEPLOYMENT_ROLLED_BACK',
      environment: 'prod',
      subject: '[prod] v2 rolled back',
      message: '{"version":1,"eventId":"e1"}',
    });
    expect(notificationOf(record('MODIFY', { PK: 'OUTBOX#e1', entity: 'outbox' }))).toBeUndefined();
    expect(notificationOf(record('INSERT', { PK: 'ENV#prod', entity: 'deployment' }))).toBeUndefined();
    expect(notificationOf(record('INSERT', { PK: 'EVENT#x', entity: 'dedup' }))).toBeUndefined();
  });

  it('throws on a malformed outbox item (it must fail, not vanish)', () => {
    expect(() => notificationOf(outbox('e1', { eventType: 'SOMETHING_ELSE' }))).toThrow(
      /malformed outbox item OUTBOX#e1/,
    );
  });
});

describe('createNotifier', () => {
  it('publishes every outbox item in order and marks it published', async () => {
    const { ports, published, marks } = fakes();
    const records = [outbox('e1'), record('INSERT', { PK: 'ENV#prod', entity: 'deployment' }), outbox('e2')];
    expect(await createNotifier(ports)({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(published.map((n) => n.eventId)).toEqual(['e1', 'e2']);
    expect([...marks.keys()]).toEqual(['e1 topic', 'e2 topic']);
  });

  it('stops at the first failure and reports it and every later record; the redelivery publishes only what is left', async () => {
    const { ports, published } = fakes(['e2']);
    const notify = createNotifier(ports);
    const records = [outbox('e1'), outbox('e2'), outbox('e3')];
    expect(await notify({ Records: records })).toEqual({ batchItemFailures: ids(records.slice(1)) });
    expect(published.map((n) => n.eventId)).toEqual(['e1']);
    // Lambda redelivers from the lowest failed sequence number; a bisected retry may resend all.
    expect(await notify({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(published.map((n) => n.eventId)).toEqual(['e1', 'e2', 'e3']);
  });

  it('a malformed outbox item fails its record (so it reaches the failure destination)', async () => {
    const { ports, published } = fakes();
    const records = [outbox('e1'), outbox('bad', { subject: '' }), outbox('e3')];
    expect(await createNotifier(ports)({ Records: records })).toEqual({ batchItemFailures: ids(records.slice(1)) });
    expect(published.map((n) => n.eventId)).toEqual(['e1']);
  });

  it('published but not recorded: counted as done (a retry would publish it twice)', async () => {
    const { ports, published } = fakes([], true);
    expect(await createNotifier(ports)({ Records: [outbox('e1')] })).toEqual({ batchItemFailures: [] });
    expect(published).toHaveLength(1);
  });

  it('an empty batch is fine', async () => {
    expect(await createNotifier(fakes().ports)({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe('createNotifier with a chat topic', () => {
  /** An outbox record of a real message (the chat rendering needs one). */
  const real = (type: keyof typeof MESSAGES) => {
    const message = MESSAGES[type];
    return outbox(message.eventId, { eventType: type, message: JSON.stringify(message) });
  };
  const records = () => [real('ROLLBACK_STARTED'), real('DEPLOYMENT_ROLLED_BACK'), real('ROLLBACK_SUCCEEDED')];

  it('publishes each item to both topics: the stored JSON to the rollback topic, its chat rendering to the chat topic', async () => {
    const { ports, published, chatPublished, marks } = fakes([], false, { failOn: [] });
    const batch = records();
    expect(await createNotifier(ports)({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(published.map((n) => n.message)).toEqual(batch.map((r) => r.dynamodb?.NewImage?.message?.S));
    const types = ['ROLLBACK_STARTED', 'DEPLOYMENT_ROLLED_BACK', 'ROLLBACK_SUCCEEDED'] as const;
    expect(chatPublished.map((n) => JSON.parse(n.message))).toEqual(types.map((t) => renderChat(MESSAGES[t], CONTEXT)));
    // Same identity and attributes on the chat topic, so a chat subscription can filter too.
    expect(chatPublished.map(({ message: _, ...rest }) => rest)).toEqual(
      published.map(({ message: _, ...rest }) => rest),
    );
    expect(marks.size).toBe(6);
    // A redelivery publishes nothing to either.
    expect(await createNotifier(ports)({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect([published.length, chatPublished.length]).toEqual([3, 3]);
  });

  it('the chat topic failing holds back nothing: the record succeeds, its chat publication stays unrecorded (the sweeper takes it)', async () => {
    const batch = records();
    const failed = MESSAGES.DEPLOYMENT_ROLLED_BACK.eventId;
    const { ports, published, chatPublished, marks } = fakes([], false, { failOn: [failed] });
    expect(await createNotifier(ports)({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(published).toHaveLength(3);
    expect(chatPublished.map((n) => n.eventId)).toEqual([
      MESSAGES.ROLLBACK_STARTED.eventId,
      MESSAGES.ROLLBACK_SUCCEEDED.eventId,
    ]);
    expect(marks.has(`${failed} topic`)).toBe(true);
    expect(marks.has(`${failed} chat`)).toBe(false);
    // A later delivery of the same records (a bisected retry, a sweep) publishes only that one chat message.
    expect(await createNotifier(ports)({ Records: batch })).toEqual({ batchItemFailures: [] });
    expect(published).toHaveLength(3);
    expect(chatPublished.map((n) => n.eventId)).toContain(failed);
    expect(chatPublished).toHaveLength(3);
  });

  it('the rollback topic failing fails the record and the later ones; the redelivery does not publish their chat messages twice', async () => {
    const batch = records();
    const failed = MESSAGES.DEPLOYMENT_ROLLED_BACK.eventId;
    const { ports, published, chatPublished } = fakes([failed], false, { failOn: [] });
    const first = await createNotifier(ports)({ Records: batch });
    expect(first).toEqual({ batchItemFailures: ids(batch.slice(1)) });
    // The failed item's chat message went out: people hear of it while the topic retries.
    expect(chatPublished.map((n) => n.eventId)).toEqual([MESSAGES.ROLLBACK_STARTED.eventId, failed]);
    expect(await createNotifier(ports)({ Records: batch.slice(1) })).toEqual({ batchItemFailures: [] });
    expect(published.map((n) => n.eventId)).toEqual(batch.map((r) => r.dynamodb?.NewImage?.PK?.S?.slice(7)));
    expect(chatPublished.map((n) => n.eventId).sort()).toEqual(published.map((n) => n.eventId).sort());
  });
});
