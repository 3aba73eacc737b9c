/**
 * The notifier function's Lambda entry (its logic: notifier.ts): the table's stream (outbox
 * INSERTs only, by the event source's filter) → the rollback topic. Its ports are built once per cold start; a missing
 * TOPIC_ARN fails the cold start.
 */
import { documentClient } from '../adapters/aws.js';
import { DynamoOutboxLedger } from '../adapters/outbox-ledger.js';
import { SnsPublisher, snsClient } from '../adapters/sns-publisher.js';
import { ConfigError, readConfig } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { createNotifier } from './notifier.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
const config = readConfig();
if (!config.topicArn) throw new ConfigError('TOPIC_ARN is required: the rollback topic the notifier publishes to');

export const handler = createNotifier({
  ledger: new DynamoOutboxLedger(documentClient(config), config.tableName),
  publisher: new SnsPublisher(snsClient(config), config.topicArn),
  now: () => new Date(),
});
