import { readRouteApp } from '../adapters/aws.js';
import { MetricsQuery } from '../core/schemas.js';
import { getMetrics } from '../core/use-cases/get-metrics.js';
import { ok, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';

/** GET /api/v1/platform/deployments/metrics: an environment's DORA metrics over a window. */
export const handler = httpHandler(readRouteApp, async (event, ports) =>
  ok(await getMetrics(ports, parseQuery(event, MetricsQuery))),
);
