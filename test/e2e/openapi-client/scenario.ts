/**
 * The README's curl walkthrough ("Try it: a bad release and its rollback"), as a client generated
 * from docs/openapi.json would write it: openapi-fetch over the types openapi-typescript makes
 * of the document (generated/api.d.ts, written by the test that runs this). The test type-checks
 * this folder with its own tsconfig.json before it runs the walk against local mode, so a
 * document that a generated client reads wrongly (a required member that is optional, a string
 * `limit`) fails the type-check here.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api.js';

type Deployment = components['schemas']['Deployment'];

const API = '/api/v1/platform/deployments';

/** The data of a 2xx answer, or an error naming the step and the answer. */
function expectData<T>(step: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`${step}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

/**
 * Walks the README's seven steps against `baseUrl` (through `fetch`, default the global one);
 * returns prod's history after step 6, newest first, and the environments.
 */
export async function walkReadme(
  baseUrl: string,
  fetch: typeof globalThis.fetch = globalThis.fetch,
): Promise<{ history: Deployment[]; environments: string[] }> {
  const client = createClient<paths>({ baseUrl, fetch });

  // 1. Pipelines record each deployment (status left out: it defaults to DEPLOYED).
  expectData(
    'record v2.0.0',
    await client.POST(API, {
      body: { environment: 'prod', imageTag: 'v2.0.0-def5678', version: 'v2.0.0', commitSha: 'def5678' },
    }),
  );
  const bad = expectData(
    'record v2.1.0',
    await client.POST(API, {
      params: { header: { 'Idempotency-Key': 'run-42' } },
      body: {
        environment: 'prod',
        imageTag: 'v2.1.0-abc1234',
        version: 'v2.1.0',
        commitSha: 'abc1234',
        migrations: [{ id: '0042_add_invoice_index', reversible: true }],
      },
    }),
  );

  // 2. What do we roll back to?
  const plan = expectData(
    'rollback target',
    await client.GET(`${API}/rollback-target`, { params: { query: { environment: 'prod' } } }),
  );
  if (plan.current.id !== bad.id) throw new Error(`the rollback target's current is ${plan.current.imageTag}`);
  const exists = expectData(
    'exists',
    await client.GET(`${API}/tag/{imageTag}/exists`, {
      params: { path: { imageTag: plan.target.imageTag }, query: { environment: 'prod' } },
    }),
  );
  if (!exists.exists) throw new Error('the target does not exist');

  // 3. Mark the bad deployment ROLLED_BACK.
  expectData(
    'rollback',
    await client.POST(`${API}/tag/{imageTag}/rollback`, {
      params: { path: { imageTag: 'v2.1.0-abc1234' } },
      body: { environment: 'prod', reason: '5xx rate above 2%' },
    }),
  );

  // 4. Record the redeploy as a new deployment that undoes the bad one.
  const found = expectData(
    'find the bad record',
    await client.GET(`${API}/tag/{imageTag}`, {
      params: { path: { imageTag: 'v2.1.0-abc1234' }, query: { environment: 'prod' } },
    }),
  );
  expectData(
    'record the redeploy',
    await client.POST(API, {
      body: { environment: 'prod', imageTag: 'v2.0.0-def5678', version: 'v2.0.0', rollbackOf: found.id },
    }),
  );

  // 5. The history, newest first (limit is a number, as the document says).
  const page = expectData(
    'history',
    await client.GET(`${API}/history`, { params: { query: { environment: 'prod', limit: 20 } } }),
  );
  if (page.items.length !== 3) throw new Error(`history holds ${page.items.length} records after step 5`);

  // 6. The fix ships as v2.2.0.
  expectData(
    'record v2.2.0',
    await client.POST(API, {
      body: { environment: 'prod', imageTag: 'v2.2.0-0a1b2c3', version: 'v2.2.0', commitSha: '0a1b2c3' },
    }),
  );

  // 7. What runs where, and the DORA metrics.
  const environments = expectData('environments', await client.GET(`${API}/environments`));
  expectData(
    'metrics',
    await client.GET(`${API}/metrics`, { params: { query: { environment: 'prod', interval: 'week' } } }),
  );
  const history = expectData(
    'history after the fix',
    await client.GET(`${API}/history`, { params: { query: { environment: 'prod' } } }),
  );
  return { history: history.items, environments: environments.items.map((item) => item.environment) };
}
