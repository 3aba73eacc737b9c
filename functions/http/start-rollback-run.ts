import { runStarterApp } from '../adapters/runs.js';
import { IdempotencyKey, NoQuery, StartRunInput } from '../core/schemas.js';
import { startRun } from '../core/use-cases/start-run.js';
import { accepted, callerOf, parseBody, parseHeader, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';
import { BASE_PATH } from '../routes.js';

/** POST /api/v1/platform/deployments/rollbacks: start a rollback run (202, Idempotency-Key aware). */
export const handler = httpHandler(runStarterApp, async (event, ports) => {
  parseQuery(event, NoQuery);
  const input = parseBody(event, StartRunInput);
  const idempotencyKey = parseHeader(event, 'Idempotency-Key', IdempotencyKey);
  const { run, replayed } = await startRun(ports, {
    ...input,
    trigger: 'manual',
    alarm: null,
    by: callerOf(event),
    idempotencyKey,
  });
  return accepted(run, `${BASE_PATH}/rollbacks/${run.id}`, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
