import { runReadRouteApp } from '../adapters/runs.js';
import { clip, NotFoundError } from '../core/errors.js';
import { NoQuery, ULID_PATTERN } from '../core/schemas.js';
import { getRun } from '../core/use-cases/get-run.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/rollbacks/{id}: one run, with its steps. */
export const handler = httpHandler(runReadRouteApp, async (event, ports) => {
  parseQuery(event, NoQuery);
  // The contract: a malformed id is as unknown as a well-formed one that names nothing (404).
  const id = event.pathParameters?.id ?? '';
  if (!ULID_PATTERN.test(id)) throw new NotFoundError(`No rollback run with id ${clip(id)}.`);
  return ok(await getRun(ports, id));
});
