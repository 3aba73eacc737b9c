/**
 * The auto-rollback function's Lambda entry: the handler of auto-rollback.ts over this
 * function's configuration, CloudWatch confirming each alarm change.
 */
import { app } from '../adapters/aws.js';
import { CloudWatchAlarmConfirmer, cloudWatchClient } from '../adapters/cloudwatch-confirmer.js';
import { startRunApp } from '../adapters/runs.js';
import { readAlarmRules } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { createAutoRollback } from './auto-rollback.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
const { config, ports } = app();
export const handler = createAutoRollback(
  ports,
  readAlarmRules(),
  new CloudWatchAlarmConfirmer(cloudWatchClient(config.region)),
  startRunApp().ports,
);
