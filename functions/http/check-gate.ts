import { readRouteApp } from '../adapters/aws.js';
import { EnvironmentPath, GateQuery } from '../core/schemas.js';
import { checkGate } from '../core/use-cases/check-gate.js';
import { ok, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/environments/{environment}/gate: may this tag go there now? */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  const { environment } = parsePath(event, EnvironmentPath);
  const { imageTag, requireReady } = parseQuery(event, GateQuery);
  return ok(await checkGate(ports, { environment, imageTag, requireReady }));
});
