import { loadCursorKey } from '../adapters/cursor-key.js';
import { startRunApp } from '../adapters/runs.js';
import { RunsQuery } from '../core/schemas.js';
import { listRuns } from '../core/use-cases/list-runs.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

const { config, ports } = startRunApp();
// At init (top-level await): without its key this function fails its cold start instead of
// its first request, and no request waits for Secrets Manager.
const cursorKey = await loadCursorKey(config);

/** GET /api/v1/platform/deployments/rollbacks: an environment's runs, newest first. */
export const handler = httpHandler(async (event, { access }) =>
  ok(await listRuns({ runs: ports.runs, cursorKey, access }, parseQuery(event, RunsQuery))),
);
