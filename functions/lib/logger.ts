import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured JSON logger; level from POWERTOOLS_LOG_LEVEL, service name fixed. */
export const logger = new Logger({ serviceName: 'platform-rollback' });
