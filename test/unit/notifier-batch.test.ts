import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Notification, NotifierPorts } from '../../functions/core/ports.js';
import { createNotifier, notificationOf } from '../../functions/events/notifier.js';

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

/** A ledger and a publisher in memory; `failOn` makes the publisher reject those event ids once each. */
function fakes(failOn: string[] = [], markFails = false) {
  const published: Notification[] = [];
  const marks = new Map<string, string>();
  const failing = new Set(failOn);
  const ports: NotifierPorts = {
    ledger: {
      isPublished: async (id) => marks.has(id),
      markPublished: async (id, at) => {
        if (markFails) throw new Error('DynamoDB unavailable');
        if (marks.has(id)) return false;
        marks.set(id, at);
        return true;
      },
    },
    publisher: {
      publish: async (n) => {
        if (failing.delete(n.eventId)) throw new Error('SNS unavailable');
        published.push(n);
      },
    },
    now: () => new Date('2026-11-27T10:00:01.000Z'),
  };
  return { ports, published, marks };
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
    expect([...marks.keys()]).toEqual(['e1', 'e2']);
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
