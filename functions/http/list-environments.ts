import { readRouteApp } from '../adapters/aws.js';
import { NoQuery } from '../core/schemas.js';
import { listEnvironments } from '../core/use-cases/list-environments.js';
import { readRedeployVia } from '../lib/config.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** Where each environment's redeploys go: its rollback-run target (REDEPLOY_TARGETS), or null for none. */
const via = readRedeployVia();
const redeployVia = (environment: string): string | null =>
  Object.hasOwn(via, environment) ? (via[environment] ?? null) : null;

/** GET /api/v1/platform/deployments/environments: what runs where, one row per environment. */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  parseQuery(event, NoQuery);
  return ok(await listEnvironments({ ...ports, redeployVia }));
});
