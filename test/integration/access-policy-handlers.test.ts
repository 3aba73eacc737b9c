import { beforeAll, describe, expect, it } from 'vitest';
import { runStarter } from '../../functions/adapters/dynamodb/run-start.js';
import { newRun } from '../../functions/core/run.js';
import type { HttpEvent, HttpHandler } from '../../functions/lib/http.js';
import { BASE_PATH, ROUTES } from '../../functions/routes.js';
import { freshTable } from '../support/dynamodb.js';
import { TEST_CURSOR_KEY } from '../support/memory-store.js';

/**
 * The access policy through the deployed wiring: ACCESS_POLICY read at init, the caller taken
 * from the event API Gateway builds (requestContext.authorizer.iam.userArn, an assumed-role
 * session ARN), the use case deciding, the one error mapper answering, over DynamoDB Local.
 * Handler events, not the local server: local mode's caller is always `local`, and a header
 * that let a client choose its principal must never exist in a deployable code path.
 */
const ACCOUNT = '123456789012';
const session = (role: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/run-42`;
const POLICY = {
  dev: { read: [`arn:aws:iam::${ACCOUNT}:role/ci-dev`], record: [`arn:aws:iam::${ACCOUNT}:role/ci-dev`] },
  prod: {
    read: [`arn:aws:iam::${ACCOUNT}:role/ci-prod`, `arn:aws:iam::${ACCOUNT}:role/ops/oncall`],
    record: [`arn:aws:iam::${ACCOUNT}:role/pipelines/ci-prod`],
    rollback: [`arn:aws:iam::${ACCOUNT}:role/ops/oncall`],
  },
};

const handlers: Record<string, HttpHandler> = {};
let table: Awaited<ReturnType<typeof freshTable>>;
beforeAll(async () => {
  table = await freshTable();
  Object.assign(process.env, {
    TABLE_NAME: table.tableName,
    CURSOR_KEY: TEST_CURSOR_KEY,
    ACCESS_POLICY: JSON.stringify(POLICY),
  });
  for (const route of ROUTES) {
    handlers[route.id] = ((await import(`../../${route.entry}`)) as { handler: HttpHandler }).handler;
  }
});

function event(
  method: string,
  suffix: string,
  caller: string,
  options: { body?: unknown; query?: Record<string, string>; params?: Record<string, string> } = {},
): HttpEvent {
  const path = `${BASE_PATH}${suffix}`;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.params ? { pathParameters: options.params } : {}),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        iam: {
          accessKey: 'ASIA',
          accountId: ACCOUNT,
          callerId: 'AROA:run-42',
          cognitoIdentity: null as never,
          principalOrgId: '',
          userArn: caller,
          userId: 'AROA:run-42',
        },
      },
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  };
}

const call = async (id: string, e: HttpEvent) => {
  const handler = handlers[id];
  if (!handler) throw new Error(`no handler ${id}`);
  const result = await handler(e);
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(String(result.body)) };
};

describe('the access policy over the route handlers', () => {
  it('lets the prod pipeline record in prod and refuses the dev pipeline, per action, naming both', async () => {
    const prodCi = session('ci-prod');
    const devCi = session('ci-dev');
    const created = await call(
      'RecordDeployment',
      event('POST', '', prodCi, { body: { environment: 'prod', imageTag: 'v1' } }),
    );
    expect(created.status).toBe(201);
    expect(created.body.deployedBy).toBe(prodCi);
    await call('RecordDeployment', event('POST', '', prodCi, { body: { environment: 'prod', imageTag: 'v2' } }));

    const cases: [string, HttpEvent, string][] = [
      ['RecordDeployment', event('POST', '', devCi, { body: { environment: 'prod', imageTag: 'v3' } }), 'record'],
      ['ListHistory', event('GET', '/history', devCi, { query: { environment: 'prod' } }), 'read'],
      ['GetRollbackTarget', event('GET', '/rollback-target', devCi, { query: { environment: 'prod' } }), 'read'],
      ['GetDeploymentByTag', event('GET', '/tag/v2', devCi, { params: { imageTag: 'v2' } }), 'read'],
      [
        'TagExists',
        event('GET', '/tag/v2/exists', devCi, { params: { imageTag: 'v2' }, query: { environment: 'prod' } }),
        'read',
      ],
      ['RollbackDeployment', event('POST', '/tag/v2/rollback', devCi, { params: { imageTag: 'v2' } }), 'rollback'],
      ['GetMetrics', event('GET', '/metrics', devCi, { query: { environment: 'prod' } }), 'read'],
      ['ListRollbackRuns', event('GET', '/rollbacks', devCi, { query: { environment: 'prod' } }), 'read'],
      [
        'StartRollbackRun',
        event('POST', '/rollbacks', devCi, { body: { environment: 'prod', reason: '5xx after v2' } }),
        'rollback',
      ],
      // The prod pipeline may record and read prod, but not roll it back.
      ['RollbackDeployment', event('POST', '/tag/v2/rollback', prodCi, { params: { imageTag: 'v2' } }), 'rollback'],
      // Holding and releasing are the rollback right's, reading the gate and the item the read right's.
      [
        'HoldEnvironment',
        event('POST', '/environments/prod/hold', prodCi, { params: { environment: 'prod' }, body: { reason: 'x' } }),
        'rollback',
      ],
      [
        'ReleaseEnvironment',
        event('POST', '/environments/prod/release', prodCi, { params: { environment: 'prod' }, body: { reason: 'x' } }),
        'rollback',
      ],
      ['GetEnvironment', event('GET', '/environments/prod', devCi, { params: { environment: 'prod' } }), 'read'],
      [
        'CheckGate',
        event('GET', '/environments/prod/gate', devCi, { params: { environment: 'prod' }, query: { imageTag: 'v3' } }),
        'read',
      ],
      // On-call may read prod's records but not record there: its PATCH is refused, not hidden.
      [
        'FinishDeployment',
        event('PATCH', `/${created.body.id}`, session('oncall'), {
          params: { id: created.body.id },
          body: { status: 'FAILED' },
        }),
        'record',
      ],
    ];
    for (const [route, e, action] of cases) {
      // The route table declares the action each route checks; docs/ACCESS.md is made of it.
      expect({ route, access: ROUTES.find((r) => r.id === route)?.access }).toEqual({ route, access: action });
      const denied = await call(route, e);
      expect({ route, status: denied.status }).toEqual({ route, status: 403 });
      expect(denied.headers['content-type']).toBe('application/problem+json');
      expect(denied.body).toMatchObject({ status: 403, title: 'Forbidden', environment: 'prod', action });
    }

    const history = await call('ListHistory', event('GET', '/history', prodCi, { query: { environment: 'prod' } }));
    expect(history.body.items.map((r: { imageTag: string; status: string }) => `${r.imageTag}:${r.status}`)).toEqual([
      'v2:DEPLOYED',
      'v1:DEPLOYED',
    ]);

    const rolledBack = await call(
      'RollbackDeployment',
      event('POST', '/tag/v2/rollback', session('oncall'), { params: { imageTag: 'v2' } }),
    );
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.rolledBackBy).toBe(session('oncall'));
  });
});

describe("an id outside the caller's policy", () => {
  it('is answered exactly as an unknown id: 404 for GET .../{id}, GET .../rollbacks/{id} and PATCH .../{id}', async () => {
    const prodCi = session('ci-prod');
    const devCi = session('ci-dev');
    const target = (
      await call('RecordDeployment', event('POST', '', prodCi, { body: { environment: 'prod', imageTag: 'v7' } }))
    ).body;
    // The first test's rollback held prod: the on-call, who may roll back there, releases it,
    // so that the pipeline may start v8.
    const released = await call(
      'ReleaseEnvironment',
      event('POST', '/environments/prod/release', session('oncall'), {
        params: { environment: 'prod' },
        body: { reason: 'v2 is rolled back; forward again' },
      }),
    );
    expect(released.status).toBe(200);
    const current = (
      await call(
        'RecordDeployment',
        event('POST', '', prodCi, { body: { environment: 'prod', imageTag: 'v8', status: 'IN_PROGRESS' } }),
      )
    ).body;
    const run = newRun({
      id: '01JDQ5T2M8W3K9Z4X7V6B1N0RN',
      environment: 'prod',
      trigger: 'manual',
      alarm: null,
      requestedBy: session('oncall'),
      reason: 'v8 is bad',
      current,
      target,
      startedAt: new Date().toISOString(),
    });
    await runStarter({ client: table.client, tableName: table.tableName }).start(run, { deploymentId: current.id }, []);
    const unknown = '01JDQ5T2M8W3K9Z4X7V6B1N0CE';
    const requests: [string, (id: string) => HttpEvent][] = [
      ['GetDeployment', (id) => event('GET', `/${id}`, devCi, { params: { id } })],
      ['GetRollbackRun', (id) => event('GET', `/rollbacks/${id}`, devCi, { params: { id } })],
      ['FinishDeployment', (id) => event('PATCH', `/${id}`, devCi, { params: { id }, body: { status: 'FAILED' } })],
    ];
    for (const [route, request] of requests) {
      const id = route === 'GetRollbackRun' ? run.id : current.id;
      const foreign = await call(route, request(id));
      const missing = await call(route, request(unknown));
      expect({ route, status: foreign.status }).toEqual({ route, status: 404 });
      // Byte for byte the same answer, but for the id itself.
      expect(JSON.stringify(foreign.body).replaceAll(id, '<id>')).toBe(
        JSON.stringify(missing.body).replaceAll(unknown, '<id>'),
      );
      expect(foreign.headers).toEqual(missing.headers);
    }
    // Those who may read prod still see it, and nothing was finished.
    expect(
      (await call('GetDeployment', event('GET', `/${current.id}`, prodCi, { params: { id: current.id } }))).body,
    ).toMatchObject({
      id: current.id,
      status: 'IN_PROGRESS',
    });
    expect(
      (await call('GetRollbackRun', event('GET', `/rollbacks/${run.id}`, prodCi, { params: { id: run.id } }))).status,
    ).toBe(200);
  });
});
