/**
 * The notifier's logic over its ports: turns the table's stream records into notifications
 * and publishes each once. composeNotifier builds it as deployed: the Lambda entry
 * (notifier-handler.ts) runs that with SNS; local mode (infra/local/stack.ts, fed by
 * stream-poller.ts) runs the same with a file publisher.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { sharedConfig, sharedDocuments } from '../adapters/aws.js';
import { notificationOfItem } from '../adapters/outbox-item.js';
import { DynamoOutboxLedger } from '../adapters/outbox-ledger.js';
import { snsPublishers } from '../adapters/sns-publisher.js';
import type { Notification, NotifierPorts } from '../core/ports.js';
import { publishNotification } from '../core/use-cases/publish-notification.js';
import { readRedeployTargets } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { withSourceStack } from '../lib/source-map.js';

/**
 * The notification an outbox INSERT carries, or undefined for any other record (updates,
 * TTL removals, deployment items: the event source's filter drops those in AWS, local mode
 * sees them all). A malformed outbox item throws: it fails its batch and, after the retries,
 * lands in the on-failure destination, where its alarm tells someone, rather than vanishing.
 */
export function notificationOf(record: DynamoDBRecord): Notification | undefined {
  if (record.eventName !== 'INSERT' || !record.dynamodb?.NewImage) return undefined;
  const image = unmarshall(record.dynamodb.NewImage as Record<string, AttributeValue>);
  if (image.entity !== 'outbox') return undefined;
  return notificationOfItem(image);
}

/**
 * A stream batch handler (with ReportBatchItemFailures). Records go out in stream order; at
 * the first failure to publish to the rollback topic it stops and reports that record and
 * every later one. Lambda resumes a stream batch from the lowest failed sequence number
 * anyway, so publishing past a failure would only reorder messages and be redelivered; the
 * ledger makes the redelivery of the records before it publish nothing.
 *
 * A failure to publish to the chat topic does not fail the record: pipelines must not wait for
 * a chat outage. It is logged, the item stays in the Unpublished index (its chat publication
 * unrecorded), and the outbox sweeper publishes it there within minutes.
 */
export function createNotifier(ports: NotifierPorts) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records = event.Records ?? [];
    for (const [index, record] of records.entries()) {
      try {
        const notification = notificationOf(record);
        if (!notification) continue;
        const { eventId, eventType, environment } = notification;
        const outcome = await publishNotification(ports, notification, (error, destination) =>
          logger.warn('published, but could not record it; a redelivery of this record would publish again', {
            eventId,
            destination,
            error: error as Error,
          }),
        );
        if (outcome.topic.kind === 'failed') throw outcome.topic.error;
        logger.info(outcome.topic.kind === 'published' ? 'notification published' : 'notification already published', {
          eventId,
          eventType,
          environment,
          ...(outcome.chat ? { chat: outcome.chat.kind } : {}),
        });
        if (outcome.chat?.kind === 'failed') {
          logger.error('chat notification not published; the outbox sweeper will publish it', {
            eventId,
            eventType,
            environment,
            error: withSourceStack(outcome.chat.error as Error),
          });
        }
      } catch (error) {
        logger.error('notification not published; the stream will deliver it again', {
          sequenceNumber: record.dynamodb?.SequenceNumber,
          error: withSourceStack(error as Error),
        });
        return {
          batchItemFailures: records.slice(index).map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? '' })),
        };
      }
    }
    return { batchItemFailures: [] };
  };
}

/**
 * THE notifier function: this process's table as the ledger, the rollback topic (TOPIC_ARN,
 * required) and the chat topic where CHAT_TOPIC_ARN names one; local mode gives its file
 * publishers instead of the topics, the rest is the same.
 */
export function composeNotifier(publishers?: Pick<NotifierPorts, 'publisher' | 'chat'>) {
  const config = sharedConfig();
  return createNotifier({
    ledger: new DynamoOutboxLedger(sharedDocuments(), config.tableName),
    ...(publishers ?? snsPublishers(config, readRedeployTargets, 'notifier')),
    now: () => new Date(),
  });
}
