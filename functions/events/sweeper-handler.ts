/**
 * The sweeper function's Lambda entry, run by an EventBridge schedule: the sweeper as
 * composeSweeper builds it. A missing TOPIC_ARN fails the cold start.
 */
import { logger } from '../lib/logger.js';
import { composeSweeper } from './sweeper.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
export const handler = composeSweeper();
