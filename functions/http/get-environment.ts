import { readRouteApp } from '../adapters/aws.js';
import { EnvironmentPath, NoQuery } from '../core/schemas.js';
import { getEnvironment } from '../core/use-cases/get-environment.js';
import { ok, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';
import { redeployVia } from '../lib/redeploy-via.js';

// Read at init, so a malformed REDEPLOY_TARGETS fails the cold start.
redeployVia('');

/** GET /api/v1/platform/deployments/environments/{environment}: one environment item (hold, readiness). */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  const { environment } = parsePath(event, EnvironmentPath);
  parseQuery(event, NoQuery);
  return ok(await getEnvironment({ ...ports, redeployVia }, environment));
});
