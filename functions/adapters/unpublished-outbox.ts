/**
 * The UnpublishedOutbox port on the table's sparse Unpublished index (see table-schema.ts):
 * one Query of its single partition, oldest first.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Notification, UnpublishedOutbox } from '../core/ports.js';
import { UNPUBLISHED } from './dynamodb/items.js';
import { notificationOfItem } from './outbox-item.js';
import { TABLE_SCHEMA } from './table-schema.js';

/** Needs only Query on the Unpublished index, of the `OUTBOX#UNPUBLISHED` partition. */
export class DynamoUnpublishedOutbox implements UnpublishedOutbox {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async olderThan(before: string, limit: number): Promise<(Notification | { malformed: string })[]> {
    const { name, partitionKey, sortKey } = TABLE_SCHEMA.unpublishedIndex;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: name,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
        ExpressionAttributeValues: { ':pk': UNPUBLISHED, ':before': before },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => {
      try {
        return notificationOfItem(item);
      } catch (error) {
        return { malformed: (error as Error).message };
      }
    });
  }
}
