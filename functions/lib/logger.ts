import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/** What the service logs: a message, and the attributes that go with it. */
type Attributes = Record<string, unknown>;
type Level = 'error' | 'warn' | 'info';

/**
 * The one structured JSON logger (Powertools; level from POWERTOOLS_LOG_LEVEL, service name
 * fixed), loaded when something is first logged rather than at import. Almost no request of
 * an API function logs, so its cold start neither reads, compiles nor runs Powertools, nor
 * builds a Logger (docs/PERFORMANCE.md): the bundler puts what `import()` loads into a chunk
 * of its own beside the handler (infra/bundling.ts), read only on that first line.
 *
 * The lines logged before Powertools is loaded wait for it (a few microtasks, the same
 * turn of the event loop), each with the invocation context and correlation id it was logged
 * under. A handler awaits `flushed()` before it returns, so no line is left for a frozen
 * sandbox; the functions that log on every invocation call `ready()` at init instead, and
 * then every line is written at once.
 */
export class LazyLogger {
  private instance: Logger | undefined;
  private loading: Promise<void> | undefined;
  private readonly waiting: (() => void)[] = [];
  private context: Context | undefined;
  private correlationId: string | undefined;

  /** Loads Powertools and builds the logger now (at init, for functions that always log). */
  ready(): Promise<void> {
    this.loading ??= import('@aws-lambda-powertools/logger').then(({ Logger }) => {
      this.instance = new Logger({ serviceName: 'platform-rollback' });
      for (const write of this.waiting.splice(0)) write();
    });
    return this.loading;
  }

  /** Resolves once every line logged so far is written. */
  flushed(): Promise<void> {
    return this.waiting.length > 0 ? (this.loading ?? Promise.resolve()) : Promise.resolve();
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
  }

  error(message: string, attributes?: Attributes): void {
    this.log('error', message, attributes);
  }

  warn(message: string, attributes?: Attributes): void {
    this.log('warn', message, attributes);
  }

  info(message: string, attributes?: Attributes): void {
    this.log('info', message, attributes);
  }

  private log(level: Level, message: string, attributes: Attributes | undefined): void {
    const { context, correlationId } = this;
    const write = () => {
      const logger = this.instance as Logger;
      // The keys of the invocation this line was logged in, whenever it is written.
      logger.resetKeys();
      if (context) logger.addContext(context);
      if (correlationId !== undefined) logger.setCorrelationId(correlationId);
      if (attributes) logger[level](message, attributes);
      else logger[level](message);
    };
    if (this.instance) {
      write();
    } else {
      this.waiting.push(write);
      void this.ready();
    }
  }
}

export const logger = new LazyLogger();
