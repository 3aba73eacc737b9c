import { writeRouteApp } from '../adapters/aws.js';
import { readsAndCreate } from '../adapters/dynamodb/create.js';
import { IdempotencyKey, NoQuery, RecordDeploymentInput } from '../core/schemas.js';
import { recordDeployment } from '../core/use-cases/record-deployment.js';
import { callerOf, created, parseBody, parseHeader, parseQuery } from '../lib/http.js';
import { httpHandler } from '../lib/http-handler.js';
import { BASE_PATH } from '../routes.js';

/** POST /api/v1/platform/deployments: record a deployment (Idempotency-Key aware). */
export const handler = httpHandler(writeRouteApp(readsAndCreate), async (event, ports) => {
  parseQuery(event, NoQuery);
  const input = parseBody(event, RecordDeploymentInput);
  const idempotencyKey = parseHeader(event, 'Idempotency-Key', IdempotencyKey);
  const { record, replayed } = await recordDeployment(ports, input, { by: callerOf(event), idempotencyKey });
  return created(record, `${BASE_PATH}/${record.id}`, replayed ? { 'idempotent-replayed': 'true' } : undefined);
});
