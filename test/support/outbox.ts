import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { outboxKey } from '../../functions/adapters/dynamodb/items.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import type { freshTable } from './dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;

/** Outbox items of a test's table: made by a real rollback, and read back as stored. */
export function outboxOf(table: Table) {
  /** Every outbox item's event id, straight from the table. */
  const ids = async (): Promise<string[]> => {
    const result = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        FilterExpression: 'entity = :o',
        ExpressionAttributeValues: { ':o': 'outbox' },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map((i) => String(i.PK).slice('OUTBOX#'.length)).sort();
  };
  return {
    ids,
    /** One outbox item as stored (a consistent read). */
    item: async (eventId: string) =>
      (
        await table.client.send(
          new GetCommand({ TableName: table.tableName, Key: outboxKey(eventId), ConsistentRead: true }),
        )
      ).Item,
    /** A deploy of v1 and v2 in `environment`, and a manual rollback of v2: the event ids of the outbox items it wrote. */
    rollbackIn: async (environment: string): Promise<string[]> => {
      for (const [imageTag, minutesAgo] of [
        ['v1.0.0', 30],
        ['v2.0.0', 20],
      ] as const) {
        const input = RecordDeploymentInput.parse({
          environment,
          imageTag,
          deployedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
        });
        await recordDeployment(table.ports, input, { by: 'arn:aws:iam::123456789012:role/ci' });
      }
      const before = new Set(await ids());
      await rollbackDeployment(table.ports, { imageTag: 'v2.0.0', environment, by: 'ops', reason: 'bad release' });
      return (await ids()).filter((id) => !before.has(id));
    },
  };
}
