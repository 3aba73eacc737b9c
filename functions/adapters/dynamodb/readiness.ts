/**
 * The environment item's `readiness` summary (core/use-cases/refresh-readiness.ts's
 * ReadinessStore). Only that attribute is ever written, with UpdateExpression SET, never a Put:
 * the item's `current`, `activeRun` and `hold` belong to the record writes, the runs and the
 * holds. The write is conditional on the summary the refresh read (so that of concurrent
 * refreshes one publishes a transition), goes with its outbox items in one transaction, and
 * never creates an item: an environment exists once it has a record.
 */
import type { OutboxEvent } from '../../core/notifications.js';
import type { ReadinessStore } from '../../core/use-cases/refresh-readiness.js';
import { environmentKey, readinessOfItem } from './items.js';
import { eventWrites } from './keep-current.js';
import { failedCondition, getItem, type Table, transact } from './table.js';

export function readinessStore(table: Table): ReadinessStore {
  return {
    async readinessOf(environment) {
      const item = await getItem(table, 'readiness.read', environmentKey(environment));
      if (!item) return undefined;
      return readinessOfItem(item.readiness);
    },

    async saveReadiness(environment, next, previous, events: OutboxEvent[]) {
      const condition =
        previous === null
          ? 'attribute_exists(PK) AND attribute_not_exists(readiness)'
          : 'readiness.checkedAt = :previousAt AND readiness.ready = :previousReady';
      try {
        await transact(table, 'readiness.save', {
          TransactItems: [
            {
              Update: {
                TableName: table.tableName,
                Key: environmentKey(environment),
                UpdateExpression: 'SET readiness = :readiness',
                ConditionExpression: condition,
                ExpressionAttributeValues: {
                  ':readiness': { ready: next.ready, checkedAt: next.checkedAt, failing: next.failing },
                  ...(previous === null ? {} : { ':previousAt': previous.checkedAt, ':previousReady': previous.ready }),
                },
              },
            },
            ...eventWrites(table, events, undefined),
          ],
        });
        return true;
      } catch (error) {
        if (failedCondition(error, 0)) return false;
        throw error;
      }
    },
  };
}
