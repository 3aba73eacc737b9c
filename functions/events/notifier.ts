/**
 * The notifier function: the table's stream (outbox INSERTs only, by the event source's
 * filter) → the rollback topic, and the chat topic where CHAT_TOPIC_ARN names one. Its ports
 * are built once per cold start; a missing TOPIC_ARN fails the cold start.
 */
import { documentClient } from '../adapters/aws.js';
import { DynamoOutboxLedger } from '../adapters/outbox-ledger.js';
import { snsPublishers } from '../adapters/sns-publisher.js';
import { ConfigError, readConfig, readRedeployTargets } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { createNotifier } from './stream-notifier.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
const config = readConfig();
if (!config.topicArn) throw new ConfigError('TOPIC_ARN is required: the rollback topic the notifier publishes to');

export const handler = createNotifier({
  ledger: new DynamoOutboxLedger(documentClient(config), config.tableName),
  ...snsPublishers({ ...config, topicArn: config.topicArn }, readRedeployTargets),
  now: () => new Date(),
});
