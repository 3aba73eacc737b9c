/**
 * EventBridge rules from a synthesized template, put into moto_server and fed AWS-shaped
 * events: which of them the rule delivers (to an SQS queue, its target here).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export const MOTO_REGION = 'us-east-1';
/** moto's default account: the one the rules are deployed into here. */
export const MOTO_ACCOUNT = '123456789012';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * A template value with the pseudo parameters and Fn::Join resolved as CloudFormation would in
 * MOTO_ACCOUNT, MOTO_REGION (partition aws). Any other intrinsic is left as is.
 */
export function resolvePseudo(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePseudo);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const ref = object.Ref;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::Region') return MOTO_REGION;
    if (ref === 'AWS::AccountId') return MOTO_ACCOUNT;
    const join = object['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return (resolvePseudo(join[1]) as unknown[]).join(join[0]);
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolvePseudo(v)]));
  }
  return value;
}

/** An event as PutEvents takes it, from the shape AWS delivers (`source`, `detail-type`, ...). */
export interface AwsEvent {
  source: string;
  'detail-type': string;
  resources?: string[];
  detail: unknown;
}

/**
 * Puts `pattern` as a rule on a bus of its own in moto with an SQS queue as its target, sends
 * `events` to that bus, and answers the indexes of the events the queue received.
 */
export async function deliveredBy(pattern: unknown, events: readonly AwsEvent[]): Promise<number[]> {
  const eventbridge = new EventBridgeClient({ region: MOTO_REGION, credentials });
  const sqs = new SQSClient({ region: MOTO_REGION, credentials });
  const name = `rule-test-${randomUUID().slice(0, 8)}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await eventbridge.send(new CreateEventBusCommand({ Name: name }));
  await eventbridge.send(new PutRuleCommand({ Name: name, EventBusName: name, EventPattern: JSON.stringify(pattern) }));
  await eventbridge.send(
    new PutTargetsCommand({ Rule: name, EventBusName: name, Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
  );
  try {
    const sent = await eventbridge.send(
      new PutEventsCommand({
        Entries: events.map((e) => ({
          EventBusName: name,
          Source: e.source,
          DetailType: e['detail-type'],
          Resources: e.resources ?? [],
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );
    if (sent.FailedEntryCount) throw new Error(`PutEvents refused ${sent.FailedEntryCount} events`);
    const ids = (sent.Entries ?? []).map((e) => e.EventId);
    const delivered: number[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      if (Messages.length === 0) break;
      for (const m of Messages) delivered.push(ids.indexOf(JSON.parse(m.Body as string).id));
    }
    return delivered.sort((a, b) => a - b);
  } finally {
    await eventbridge.send(new RemoveTargetsCommand({ Rule: name, EventBusName: name, Ids: ['queue'] }));
    await eventbridge.send(new DeleteRuleCommand({ Name: name, EventBusName: name }));
    await eventbridge.send(new DeleteEventBusCommand({ Name: name }));
    eventbridge.destroy();
    sqs.destroy();
  }
}
