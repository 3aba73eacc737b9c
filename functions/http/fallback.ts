import { type HttpEvent, type HttpResult, MethodNotAllowedError, RouteNotFoundError, toProblem } from '../lib/http.js';
import { matchRoute } from '../routes.js';

/**
 * API Gateway's `$default` route: every request no route took. Answers 405 with `Allow` for
 * a known path asked with the wrong method, 404 otherwise, both as problem+json. It touches
 * no table, so it needs no ports.
 */
export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const method = event.requestContext.http.method;
  const match = matchRoute(method, event.rawPath);
  const error =
    match.kind === 'method-not-allowed'
      ? new MethodNotAllowedError(
          match.allow,
          `${event.rawPath} does not take ${method}; it takes ${match.allow.join(', ')}.`,
        )
      : new RouteNotFoundError(`No route ${method} ${event.rawPath}.`);
  return toProblem(error, event.rawPath);
};
