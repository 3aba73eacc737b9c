import { NoQuery } from '../core/schemas.js';
import { listEnvironments } from '../core/use-cases/list-environments.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/**
 * Where each environment's redeploys go. No redeploy targets are configured in this build
 * (REDEPLOY_TARGETS comes with the rollback runs), so every environment answers null.
 */
const redeployVia = (_environment: string): string | null => null;

/** GET /api/v1/platform/deployments/environments: what runs where, one row per environment. */
export const handler = httpHandler(async (event, ports) => {
  parseQuery(event, NoQuery);
  return ok(await listEnvironments({ ...ports, redeployVia }));
});
