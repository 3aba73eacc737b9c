import { HistoryQuery } from '../core/schemas.js';
import { listHistory } from '../core/use-cases/list-history.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/history: an environment's history, newest first. */
export const handler = httpHandler(async (event, ports) =>
  ok(await listHistory(ports, parseQuery(event, HistoryQuery))),
);
