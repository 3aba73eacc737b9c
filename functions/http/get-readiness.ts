import { readinessApp } from '../adapters/readiness.js';
import { EnvironmentPath, NoQuery } from '../core/schemas.js';
import { getReadiness } from '../core/use-cases/get-readiness.js';
import { ok, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/environments/{environment}/readiness: would a rollback work right now? */
export const handler = httpHandler(readinessApp, async (event, ports) => {
  const { environment } = parsePath(event, EnvironmentPath);
  parseQuery(event, NoQuery);
  return ok(await getReadiness(ports, environment));
});
