import { readRouteApp } from '../adapters/aws.js';
import { clip, NotFoundError } from '../core/errors.js';
import { NoQuery, ULID_PATTERN } from '../core/schemas.js';
import { getDeployment } from '../core/use-cases/get-deployment.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/{id}: one deployment record by id. */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  parseQuery(event, NoQuery);
  // The contract: a malformed id is as unknown as a well-formed one that names nothing (404).
  const id = event.pathParameters?.id ?? '';
  if (!ULID_PATTERN.test(id)) throw new NotFoundError(`No deployment with id ${clip(id)}.`);
  return ok(await getDeployment(ports, id));
});
