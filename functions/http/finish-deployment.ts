import { writeRouteApp } from '../adapters/aws.js';
import { readsAndFinish } from '../adapters/dynamodb/finish.js';
import { FinishDeploymentInput, IdPath, NoQuery } from '../core/schemas.js';
import { finishDeployment } from '../core/use-cases/finish-deployment.js';
import { ok, parseBody, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** PATCH /api/v1/platform/deployments/{id}: finish an IN_PROGRESS deployment. */
export const handler = httpHandler(writeRouteApp(readsAndFinish), async (event, ports) => {
  const { id } = parsePath(event, IdPath);
  parseQuery(event, NoQuery);
  const input = parseBody(event, FinishDeploymentInput);
  return ok(await finishDeployment(ports, id, input));
});
