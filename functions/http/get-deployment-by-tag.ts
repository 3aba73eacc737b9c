import { readRouteApp } from '../adapters/aws.js';
import { OptionalEnvironmentQuery, TagPath } from '../core/schemas.js';
import { resolveTag } from '../core/use-cases/resolve-tag.js';
import { ok, parsePath, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/tag/{imageTag}: one record, resolved by the contract's rules. */
export const handler = httpHandler(readRouteApp, async (event, ports) => {
  const { imageTag } = parsePath(event, TagPath);
  const { environment } = parseQuery(event, OptionalEnvironmentQuery);
  return ok(await resolveTag(ports, imageTag, environment));
});
