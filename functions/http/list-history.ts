import { app } from '../adapters/aws.js';
import { HistoryQuery } from '../core/schemas.js';
import { listHistory } from '../core/use-cases/list-history.js';
import { requireCursorKey } from '../lib/config.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

// At init: without CURSOR_KEY this function fails its cold start instead of its first request.
const cursorKey = requireCursorKey(app().config);

/** GET /api/v1/platform/deployments/history: an environment's history, newest first. */
export const handler = httpHandler(async (event, ports) =>
  ok(await listHistory({ ...ports, cursorKey }, parseQuery(event, HistoryQuery))),
);
