/**
 * The Publisher port on SNS: one PublishCommand per notification, with the message
 * attributes subscribers filter on (`eventType`, `environment`).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotifierPorts, Publisher } from '../core/ports.js';
import type { RedeployTargets } from '../core/redeploy/targets.js';
import { type Config, ConfigError } from '../lib/config.js';

/** The SNS client, created once per cold start by the function that publishes. */
function snsClient(config: Pick<Config, 'region'>): SNSClient {
  return new SNSClient({ region: config.region });
}

/**
 * The publishers of a function that publishes (`who`: the notifier, the sweeper), on one SNS
 * client: the rollback topic's (TOPIC_ARN: a missing one fails the cold start), and the chat
 * topic's where CHAT_TOPIC_ARN names one (with the redeploy targets its renderings name, read
 * only then).
 */
export function snsPublishers(
  config: Pick<Config, 'region' | 'topicArn' | 'chatTopicArn'>,
  targets: () => RedeployTargets,
  who: string,
): Pick<NotifierPorts, 'publisher' | 'chat'> {
  if (!config.topicArn) throw new ConfigError(`TOPIC_ARN is required: the rollback topic the ${who} publishes to`);
  const client = snsClient(config);
  const publisher = new SnsPublisher(client, config.topicArn);
  if (!config.chatTopicArn) return { publisher };
  return {
    publisher,
    chat: { publisher: new SnsPublisher(client, config.chatTopicArn), context: { targets: targets() } },
  };
}

/** Publishes the stored JSON body as is, so what subscribers read is exactly what the transaction wrote. */
export class SnsPublisher implements Publisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notification.subject,
        Message: notification.message,
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: notification.eventType },
          environment: { DataType: 'String', StringValue: notification.environment },
        },
      }),
    );
  }
}
