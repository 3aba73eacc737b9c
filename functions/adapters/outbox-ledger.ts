/**
 * The OutboxLedger port on the deployments table: the outbox item itself carries, for each
 * destination its message went out to, the time it did: `publishedAt` (the rollback topic; the
 * name it always had) and `chatPublishedAt` (the chat topic).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DESTINATIONS, type Destination, type LedgerEntry, type OutboxLedger } from '../core/ports.js';
import { outboxKey } from './dynamodb/items.js';

/** The attribute that records a publication to each destination. */
const PUBLISHED_AT: Record<Destination, string> = { topic: 'publishedAt', chat: 'chatPublishedAt' };

/** Needs only GetItem and UpdateItem on the table: the notifier's whole table access. */
export class DynamoOutboxLedger implements OutboxLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async lookUp(eventId: string): Promise<LedgerEntry> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: outboxKey(eventId),
        ConsistentRead: true,
        ProjectionExpression: '#topic, #chat, GSI2PK',
        ExpressionAttributeNames: { '#topic': PUBLISHED_AT.topic, '#chat': PUBLISHED_AT.chat },
      }),
    );
    const item = result.Item ?? {};
    return {
      published: DESTINATIONS.filter((d) => typeof item[PUBLISHED_AT[d]] === 'string'),
      pending: item.GSI2PK !== undefined,
    };
  }

  /**
   * Conditional: only the first mark counts, and a vanished item (TTL) is not recreated. With
   * one destination owed, the same write takes the item out of the sparse Unpublished index
   * (removes its GSI2 keys). With more, the write returns the item as it left it, and the one
   * whose mark completes the set settles it: two deliveries marking different destinations at
   * once cannot both miss that, since DynamoDB orders writes to one item.
   */
  async markPublished(eventId: string, destination: Destination, at: string, owed: readonly Destination[]) {
    const alone = owed.length === 1 && owed[0] === destination;
    let attributes: Record<string, unknown> | undefined;
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboxKey(eventId),
          UpdateExpression: alone ? 'SET #at = :at REMOVE GSI2PK, GSI2SK' : 'SET #at = :at',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#at)',
          ExpressionAttributeNames: { '#at': PUBLISHED_AT[destination] },
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: alone ? 'NONE' : 'ALL_NEW',
        }),
      );
      attributes = result.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (!alone && owed.every((d) => typeof attributes?.[PUBLISHED_AT[d]] === 'string'))
      await this.settle(eventId, owed);
    return true;
  }

  /** Removes the GSI2 keys, if the item still has them and every destination owed is recorded. */
  async settle(eventId: string, owed: readonly Destination[]): Promise<void> {
    const names = Object.fromEntries(owed.map((d, i) => [`#d${i}`, PUBLISHED_AT[d]]));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboxKey(eventId),
          UpdateExpression: 'REMOVE GSI2PK, GSI2SK',
          ConditionExpression: [
            'attribute_exists(GSI2PK)',
            ...Object.keys(names).map((n) => `attribute_exists(${n})`),
          ].join(' AND '),
          ExpressionAttributeNames: names,
        }),
      );
    } catch (error) {
      // Settled already, gone (TTL), or not published everywhere yet: nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
