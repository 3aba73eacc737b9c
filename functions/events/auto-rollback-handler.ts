/**
 * The auto-rollback function's Lambda entry: the function as composeAutoRollback builds it,
 * CloudWatch confirming each alarm change.
 */
import { logger } from '../lib/logger.js';
import { composeAutoRollback } from './auto-rollback.js';

// This function logs as it works: Powertools is loaded at init, and every line is written at once.
await logger.ready();
export const handler = composeAutoRollback();
