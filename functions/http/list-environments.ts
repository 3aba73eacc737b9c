import { app } from '../adapters/aws.js';
import { NoQuery } from '../core/schemas.js';
import { listEnvironments } from '../core/use-cases/list-environments.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** Where each environment's redeploys go: its rollback-run target (REDEPLOY_TARGETS), or null for none. */
const targets = app().config.redeployTargets;
const redeployVia = (environment: string): string | null =>
  Object.hasOwn(targets, environment) ? (targets[environment]?.via ?? null) : null;

/** GET /api/v1/platform/deployments/environments: what runs where, one row per environment. */
export const handler = httpHandler(async (event, ports) => {
  parseQuery(event, NoQuery);
  return ok(await listEnvironments({ ...ports, redeployVia }));
});
