import { loadCursorKey } from '../adapters/cursor-key.js';
import { runReadRouteApp } from '../adapters/runs.js';
import { RunsQuery } from '../core/schemas.js';
import { listRuns } from '../core/use-cases/list-runs.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

const { config } = runReadRouteApp();
// At init (top-level await): without its key this function fails its cold start instead of
// its first request, and no request waits for Secrets Manager.
const cursorKey = await loadCursorKey(config);

/** GET /api/v1/platform/deployments/rollbacks: an environment's runs, newest first. */
export const handler = httpHandler(runReadRouteApp, async (event, ports) =>
  ok(await listRuns({ ...ports, cursorKey }, parseQuery(event, RunsQuery))),
);
