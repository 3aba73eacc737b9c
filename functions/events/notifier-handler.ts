/**
 * The notifier function's Lambda entry: the table's stream (outbox INSERTs only, by the event
 * source's filter) → the notifier as composeNotifier builds it → the rollback topic. A
 * missing TOPIC_ARN fails the cold start.
 */
import { logger } from '../lib/logger.js';
import { composeNotifier } from './notifier.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
export const handler = composeNotifier();
