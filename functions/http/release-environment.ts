import { writeRouteApp } from '../adapters/aws.js';
import { readsAndHolds } from '../adapters/dynamodb/holds.js';
import { EnvironmentPath, HoldInput, NoQuery } from '../core/schemas.js';
import { releaseEnvironment } from '../core/use-cases/hold-environment.js';
import { callerOf, ok, parseBody, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';
import { redeployVia } from '../lib/redeploy-via.js';

redeployVia('');

/** POST /api/v1/platform/deployments/environments/{environment}/release: lift the hold, with a reason. */
export const handler = httpHandler(writeRouteApp(readsAndHolds), async (event, ports) => {
  const { environment } = parsePath(event, EnvironmentPath);
  parseQuery(event, NoQuery);
  const { reason } = parseBody(event, HoldInput);
  return ok(await releaseEnvironment({ ...ports, redeployVia }, { environment, reason, by: callerOf(event) }));
});
