/**
 * The Publisher port on SNS: one PublishCommand per notification, with the message
 * attributes subscribers filter on (`eventType`, `environment`).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Publisher } from '../core/ports.js';
import type { Config } from '../lib/config.js';

/** The SNS client, created once per cold start by the function that publishes. */
export function snsClient(config: Pick<Config, 'region'>): SNSClient {
  return new SNSClient({ region: config.region });
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
