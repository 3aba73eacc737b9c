import { writeRouteApp } from '../adapters/aws.js';
import { readsAndMarkRolledBack } from '../adapters/dynamodb/mark-rolled-back.js';
import { OptionalEnvironmentQuery, RollbackInput, TagPath } from '../core/schemas.js';
import { rollbackDeployment } from '../core/use-cases/rollback-deployment.js';
import { callerOf, eitherOf, ok, parseBody, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** POST /api/v1/platform/deployments/tag/{imageTag}/rollback: mark the resolved record ROLLED_BACK. */
export const handler = httpHandler(writeRouteApp(readsAndMarkRolledBack), async (event, ports) => {
  const { imageTag } = parsePath(event, TagPath);
  const query = parseQuery(event, OptionalEnvironmentQuery);
  const body = parseBody(event, RollbackInput, { optional: true });
  const environment = eitherOf('environment', query.environment, body.environment);
  return ok(await rollbackDeployment(ports, { imageTag, environment, reason: body.reason, by: callerOf(event) }));
});
