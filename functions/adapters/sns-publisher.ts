/**
 * The Publisher port on SNS: one PublishCommand per notification, with the message
 * attributes subscribers filter on (`eventType`, `environment`).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Publisher } from '../core/ports.js';
import { type Config, ConfigError } from '../lib/config.js';

/** The SNS client, created once per cold start by the function that publishes. */
export function snsClient(config: Pick<Config, 'region'>): SNSClient {
  return new SNSClient({ region: config.region });
}

/** The rollback topic's publisher of a function that publishes (`who`); a missing TOPIC_ARN fails its cold start. */
export function topicPublisher(config: Pick<Config, 'region' | 'topicArn'>, who: string): SnsPublisher {
  if (!config.topicArn) throw new ConfigError(`TOPIC_ARN is required: the rollback topic the ${who} publishes to`);
  return new SnsPublisher(snsClient(config), config.topicArn);
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
