import { readRouteApp } from '../adapters/aws.js';
import { NoQuery } from '../core/schemas.js';
import { listEnvironments } from '../core/use-cases/list-environments.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';
import { redeployVia } from '../lib/redeploy-via.js';

// Read at init, so a malformed REDEPLOY_TARGETS fails the cold start.
redeployVia('');

/** GET /api/v1/platform/deployments/environments: what runs where, one row per environment. */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  parseQuery(event, NoQuery);
  return ok(await listEnvironments({ ...ports, redeployVia }));
});
