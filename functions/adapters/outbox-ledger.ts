/**
 * The OutboxLedger port on the deployments table: the outbox item itself carries
 * `publishedAt` once its message went out.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboxLedger } from '../core/ports.js';
import { outboxKey } from './dynamodb/items.js';

/** Needs only GetItem and UpdateItem on the table: the notifier's whole table access. */
export class DynamoOutboxLedger implements OutboxLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** A consistent read: the mark written by the previous delivery must be seen. */
  async isPublished(eventId: string): Promise<boolean> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: outboxKey(eventId),
        ConsistentRead: true,
        ProjectionExpression: 'publishedAt',
      }),
    );
    return typeof result.Item?.publishedAt === 'string';
  }

  /**
   * Conditional: only the first mark counts, and a vanished item (TTL) is not recreated. Takes
   * the item out of the sparse Unpublished index (removes its GSI2 keys): the sweeper is done with it.
   */
  async markPublished(eventId: string, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboxKey(eventId),
          UpdateExpression: 'SET publishedAt = :at REMOVE GSI2PK, GSI2SK',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(publishedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
