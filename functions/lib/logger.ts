import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** What the service logs: a message, and the attributes that go with it. */
type Attributes = Record<string, unknown>;

/**
 * The one structured JSON logger (Powertools; level from POWERTOOLS_LOG_LEVEL, service name
 * fixed), created when something is first logged rather than at import. A request that logs
 * nothing, i.e. almost every request, never pays for setting Powertools up; the request's
 * context and correlation id are kept here and handed to the logger when it does log.
 */
export class LazyLogger {
  private instance: Logger | undefined;
  private context: Context | undefined;
  private correlationId: string | undefined;

  private get logger(): Logger {
    this.instance ??= new Logger({ serviceName: 'platform-rollback' });
    if (this.context) this.instance.addContext(this.context);
    if (this.correlationId !== undefined) this.instance.setCorrelationId(this.correlationId);
    return this.instance;
  }

  /** The Lambda context of the current invocation: its request id goes on every line. */
  addContext(context: Context): void {
    this.context = context;
  }

  setCorrelationId(id: string | undefined): void {
    this.correlationId = id;
  }

  /** Forgets the invocation's keys, at its end. */
  resetKeys(): void {
    this.context = undefined;
    this.correlationId = undefined;
    this.instance?.resetKeys();
  }

  error(message: string, attributes?: Attributes): void {
    if (attributes) this.logger.error(message, attributes);
    else this.logger.error(message);
  }

  warn(message: string, attributes?: Attributes): void {
    if (attributes) this.logger.warn(message, attributes);
    else this.logger.warn(message);
  }

  info(message: string, attributes?: Attributes): void {
    if (attributes) this.logger.info(message, attributes);
    else this.logger.info(message);
  }
}

export const logger = new LazyLogger();
