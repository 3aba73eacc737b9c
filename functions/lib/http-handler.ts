/**
 * The wrapper every route's Lambda handler is built with. Kept apart from lib/http.ts so that
 * code needing only parsing and problems (the fallback route) does not pull in the AWS
 * clients and config that this module builds at init.
 */
import type { AccessContext } from '../core/access-policy.js';
import type { App } from './app.js';
import { type HttpEvent, type HttpHandler, type HttpResult, routeMiss, toProblem } from './http.js';
import { logger } from './logger.js';

/**
 * Wraps a route's function into a Lambda handler: builds its app at init (so bad config fails
 * the cold start), tags logs with the request id, and maps every error. The app is the
 * route's to choose (`readRouteApp`, `writeRouteApp`, `runReadRouteApp`, ...: adapters/aws.ts, adapters/runs.ts), so
 * that a function bundles the adapters it uses and no others.
 */
export function httpHandler<P extends object>(
  build: () => App<P>,
  fn: (event: HttpEvent, ports: P & { access?: AccessContext | undefined }) => Promise<HttpResult>,
): HttpHandler {
  const { config, ports } = build();
  const policy = config.accessPolicy;
  return async (event, context) => {
    if (context) logger.addContext(context);
    logger.setCorrelationId(event.requestContext?.requestId);
    try {
      // API Gateway may hand a request to a less specific route (PATCH /history to PATCH /{id}).
      const miss = event.requestContext?.http ? routeMiss(event) : undefined;
      if (miss) return miss;
      // Under an access policy, each request's ports carry its caller, and the use cases
      // check it (core/access-policy.ts); without one, the ports are exactly the shared ones.
      const caller = event.requestContext?.authorizer?.iam?.userArn ?? undefined;
      return await fn(event, policy ? { ...ports, access: { policy, caller } } : ports);
    } catch (error) {
      return toProblem(error, event.rawPath);
    } finally {
      // An error's log line waits for Powertools on the first error of a cold start.
      await logger.flushed();
      logger.resetKeys();
    }
  };
}
