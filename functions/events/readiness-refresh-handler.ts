/**
 * The readiness refresh's Lambda entry: the table's stream (deployment records, by the event
 * source's filter) and the hourly EventBridge schedule → the refresh as
 * composeReadinessRefresh builds it.
 */
import { logger } from '../lib/logger.js';
import { composeReadinessRefresh } from './readiness-refresh.js';

await logger.ready();
export const handler = composeReadinessRefresh();
