import { readRouteApp } from '../adapters/aws.js';
import { RollbackTargetQuery } from '../core/schemas.js';
import { findRollbackTarget } from '../core/use-cases/find-rollback-target.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/rollback-target: the problematic record and what to roll back to. */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  const { environment, imageTag } = parseQuery(event, RollbackTargetQuery);
  return ok(await findRollbackTarget(ports, environment, imageTag));
});
