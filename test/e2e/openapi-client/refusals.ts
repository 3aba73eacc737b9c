/**
 * What a generated client must refuse to compile, checked by the same type-check as
 * scenario.ts: each `@ts-expect-error` fails that check if the line compiles, that is, if the
 * document offered what the service refuses. Never run.
 */
import type createClient from 'openapi-fetch';
import type { paths } from './generated/api.js';

const API = '/api/v1/platform/deployments';

export async function refused(client: ReturnType<typeof createClient<paths>>): Promise<void> {
  // A new record cannot start ROLLED_BACK (the service answers 409): the document does not offer it.
  // @ts-expect-error ROLLED_BACK is not a status a record is created in
  await client.POST(API, { body: { environment: 'prod', imageTag: 'v1', status: 'ROLLED_BACK' } });
  // Finishing takes DEPLOYED or FAILED only.
  await client.PATCH(`${API}/{id}`, {
    params: { path: { id: '01JDQ5T2M8W3K9Z4X7V6B1N0CE' } },
    // @ts-expect-error IN_PROGRESS is not a status a deployment is finished in
    body: { status: 'IN_PROGRESS' },
  });
  // limit is an integer, not text.
  // @ts-expect-error limit is a number
  await client.GET(`${API}/history`, { params: { query: { environment: 'prod', limit: '20' } } });
  // environment and imageTag are required on a new record.
  // @ts-expect-error imageTag is required
  await client.POST(API, { body: { environment: 'prod' } });
}
