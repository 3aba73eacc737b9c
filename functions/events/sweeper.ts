/**
 * The sweeper function (see outbox-sweeper.ts), run by an EventBridge schedule. Its ports are
 * built once per cold start; a missing TOPIC_ARN fails the cold start.
 */
import { documentClient } from '../adapters/aws.js';
import { DynamoOutboxLedger } from '../adapters/outbox-ledger.js';
import { snsPublishers } from '../adapters/sns-publisher.js';
import { DynamoUnpublishedOutbox } from '../adapters/unpublished-outbox.js';
import { ConfigError, readConfig, readRedeployTargets } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { createSweeper } from './outbox-sweeper.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
const config = readConfig();
if (!config.topicArn) throw new ConfigError('TOPIC_ARN is required: the rollback topic the sweeper publishes to');
const documents = documentClient(config);

export const handler = createSweeper({
  ledger: new DynamoOutboxLedger(documents, config.tableName),
  ...snsPublishers({ ...config, topicArn: config.topicArn }, readRedeployTargets),
  unpublished: new DynamoUnpublishedOutbox(documents, config.tableName),
  now: () => new Date(),
});
