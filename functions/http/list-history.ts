import { readRouteApp } from '../adapters/aws.js';
import { loadCursorKey } from '../adapters/cursor-key.js';
import { HistoryQuery } from '../core/schemas.js';
import { listHistory } from '../core/use-cases/list-history.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

// At init (top-level await): without its key this function fails its cold start instead of
// its first request, and no request waits for Secrets Manager.
const cursorKey = await loadCursorKey(readRouteApp().config);

/** GET /api/v1/platform/deployments/history: an environment's history, newest first. */
export const handler = httpHandler(readRouteApp, async (event, ports) =>
  ok(await listHistory({ ...ports, cursorKey }, parseQuery(event, HistoryQuery))),
);
