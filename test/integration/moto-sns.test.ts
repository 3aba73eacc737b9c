import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { snsPublishers } from '../../functions/adapters/sns-publisher.js';
import type { EventType } from '../../functions/core/notifications.js';
import type { Notification } from '../../functions/core/ports.js';

/**
 * The rollback topic in moto_server with SQS subscribers that use exactly the filter policies
 * docs/NOTIFICATIONS.md recommends (read from its "Filtering" section, so the docs and this
 * test cannot part), and an operations queue without one. Every message goes out through the
 * service's own publisher (snsPublishers, as the notifier and the sweeper compose it), whose
 * client reaches moto only by AWS_ENDPOINT_URL_SNS.
 */

const REGION = 'us-east-1';
const run = randomUUID().slice(0, 8);
const sns = new SNSClient({ region: REGION });
const sqs = new SQSClient({ region: REGION });

/** The JSON blocks of the docs' "Filtering" section, in order. */
function documentedPolicies(): Record<string, unknown>[] {
  const doc = readFileSync(new URL('../../docs/NOTIFICATIONS.md', import.meta.url), 'utf8');
  const section = doc.split('### Filtering')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string));
}

interface Subscriber {
  url: string;
  raw: boolean;
}

async function subscriber(topicArn: string, name: string, filterPolicy?: unknown): Promise<Subscriber> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${run}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const raw = filterPolicy !== undefined;
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      // Pipelines read the message itself (raw delivery, as docs/PIPELINE.md sets it up);
      // operations get SNS's envelope, as an email or a Lambda subscriber does.
      Attributes: raw ? { FilterPolicy: JSON.stringify(filterPolicy), RawMessageDelivery: 'true' } : {},
    }),
  );
  return { url: QueueUrl as string, raw };
}

/** Everything the queue holds, as [eventType, environment] of each message, with its body checked. */
async function received(queue: Subscriber, sent: Map<string, Notification>): Promise<string[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) break;
    messages.push(...Messages);
  }
  return messages
    .map((m) => {
      const envelope = queue.raw ? undefined : JSON.parse(m.Body as string);
      const body = queue.raw ? (m.Body as string) : envelope.Message;
      const notification = sent.get(JSON.parse(body).eventId);
      // Exactly what was published: the stored JSON, the subject, the two attributes.
      expect(body).toBe(notification?.message);
      if (queue.raw) {
        expect(m.MessageAttributes).toEqual({
          eventType: { DataType: 'String', StringValue: notification?.eventType },
          environment: { DataType: 'String', StringValue: notification?.environment },
        });
      } else {
        expect(envelope).toMatchObject({
          Type: 'Notification',
          Subject: notification?.subject,
          MessageAttributes: {
            eventType: { Type: 'String', Value: notification?.eventType },
            environment: { Type: 'String', Value: notification?.environment },
          },
        });
      }
      return `${notification?.eventType} ${notification?.environment}`;
    })
    .sort();
}

const EVENTS: EventType[] = [
  'ROLLBACK_REQUESTED',
  'DEPLOYMENT_ROLLED_BACK',
  'AUTO_ROLLBACK_SKIPPED',
  'ROLLBACK_FAILED',
];
const ENVIRONMENTS = ['prod', 'eu-prod', 'staging', 'sandbox-alice'];
const sent = new Map<string, Notification>();
const queues: Record<'chat' | 'pipelines' | 'prodPipeline' | 'operations', Subscriber> = {} as never;

beforeAll(async () => {
  const policies = documentedPolicies();
  expect(policies).toHaveLength(3);
  const [chat, pipelines, prodPipeline] = policies;
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `rollback-${run}` }));
  const topicArn = TopicArn as string;
  queues.chat = await subscriber(topicArn, 'chat-prod', chat);
  queues.pipelines = await subscriber(topicArn, 'pipelines', pipelines);
  queues.prodPipeline = await subscriber(topicArn, 'pipeline-prod', prodPipeline);
  queues.operations = await subscriber(topicArn, 'operations');

  const { publisher } = snsPublishers({ region: REGION, topicArn, chatTopicArn: undefined }, () => ({}), 'test');
  for (const eventType of EVENTS) {
    for (const environment of ENVIRONMENTS) {
      const eventId = randomUUID();
      const notification: Notification = {
        eventId,
        eventType,
        environment,
        subject: `${eventType} in ${environment}`,
        message: JSON.stringify({ version: 1, eventId, eventType, environment, occurredAt: new Date().toISOString() }),
      };
      sent.set(eventId, notification);
      await publisher.publish(notification);
    }
  }
});

const all = (events: EventType[], environments: string[]) =>
  events.flatMap((e) => environments.map((env) => `${e} ${env}`)).sort();

describe('each subscriber of the rollback topic in moto receives exactly what its filter policy asks for', () => {
  it('a pipeline of one environment: ROLLBACK_REQUESTED for prod, nothing else', async () => {
    expect(await received(queues.prodPipeline, sent)).toEqual(['ROLLBACK_REQUESTED prod']);
  });

  it('the pipelines of every environment but sandboxes: each ROLLBACK_REQUESTED outside sandbox-*', async () => {
    expect(await received(queues.pipelines, sent)).toEqual(all(['ROLLBACK_REQUESTED'], ['prod', 'eu-prod', 'staging']));
  });

  it('the production chat channel: rollbacks and skips in prod and eu-prod', async () => {
    expect(await received(queues.chat, sent)).toEqual(
      all(['DEPLOYMENT_ROLLED_BACK', 'AUTO_ROLLBACK_SKIPPED'], ['prod', 'eu-prod']),
    );
  });

  it('operations, without a filter: every message, once', async () => {
    expect(await received(queues.operations, sent)).toEqual(all(EVENTS, ENVIRONMENTS));
  });
});
