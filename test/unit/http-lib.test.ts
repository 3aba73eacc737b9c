import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/errors.js';
import { HistoryQuery, RecordDeploymentInput, RollbackInput } from '../../functions/core/schemas.js';
import { handler as fallback } from '../../functions/http/fallback.js';
import { type HttpEvent, MAX_BODY_BYTES, parseBody, parseQuery, toProblem } from '../../functions/lib/http.js';
import { matchRoute } from '../../functions/routes.js';

const event = (over: Partial<HttpEvent>): HttpEvent =>
  ({ headers: { 'content-type': 'application/json' }, rawPath: '/x', requestContext: {}, ...over }) as HttpEvent;

function problemOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    const result = toProblem(error);
    return { status: result.statusCode, body: JSON.parse(String(result.body)), headers: result.headers };
  }
  throw new Error('expected a throw');
}

describe('parseBody', () => {
  it('names every unknown member (no mass assignment)', () => {
    const body = JSON.stringify({ environment: 'prod', imageTag: 'v1', deployedBy: 'me', isAdmin: true });
    const { status, body: problem } = problemOf(() => parseBody(event({ body }), RecordDeploymentInput));
    expect(status).toBe(400);
    expect(problem.errors).toEqual([
      { field: 'deployedBy', message: expect.any(String) },
      { field: 'isAdmin', message: expect.any(String) },
    ]);
  });

  it('names nested fields and missing required ones', () => {
    const body = JSON.stringify({ environment: 'prod', migrations: [{ id: 'm1' }] });
    const { body: problem } = problemOf(() => parseBody(event({ body }), RecordDeploymentInput));
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'imageTag',
      'migrations.0.reversible',
    ]);
    expect(problem.errors.find((e: { field: string }) => e.field === 'imageTag').message).toBe('is required');
  });

  it('tells a member of the wrong type from a missing one', () => {
    const body = JSON.stringify({ environment: 5, imageTag: 'v1', migrations: [{ id: 'm', reversible: 'yes' }] });
    const { body: problem } = problemOf(() => parseBody(event({ body }), RecordDeploymentInput));
    const byField = Object.fromEntries(
      problem.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    expect(byField.environment).toMatch(/expected string, received number/);
    expect(byField['migrations.0.reversible']).toBe('is required and must be true or false');
    expect(JSON.stringify(problem)).not.toContain('"yes"');
  });

  it('answers 413 above 64 KiB, 415 for non-JSON media, 400 for bad JSON or a non-object', () => {
    const big = JSON.stringify({ notes: 'x'.repeat(MAX_BODY_BYTES) });
    expect(problemOf(() => parseBody(event({ body: big }), RollbackInput)).status).toBe(413);
    const text = event({ body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(problemOf(() => parseBody(text, RollbackInput)).status).toBe(415);
    expect(problemOf(() => parseBody(event({ body: '{"a":' }), RollbackInput)).body.errors).toEqual([
      { field: 'body', message: 'is not valid JSON' },
    ]);
    expect(problemOf(() => parseBody(event({ body: '[1]' }), RollbackInput)).body.errors[0].field).toBe('body');
  });

  it('decodes base64 bodies and accepts +json media types', () => {
    const body = Buffer.from('{"reason":"r"}').toString('base64');
    const parsed = parseBody(
      event({
        body,
        isBase64Encoded: true,
        headers: { 'content-type': 'application/merge-patch+json; charset=utf-8' },
      }),
      RollbackInput,
    );
    expect(parsed).toEqual({ reason: 'r' });
  });

  it('treats an absent body as {} only where the body is optional', () => {
    expect(parseBody(event({}), RollbackInput, { optional: true })).toEqual({});
    expect(() => parseBody(event({}), RecordDeploymentInput)).toThrow(InvalidInputError);
  });
});

describe('parseQuery', () => {
  it.each(['0', 'abc', '1000', '1.5', '-1', ''])('refuses limit=%s naming the field', (limit) => {
    const { status, body } = problemOf(() =>
      parseQuery(event({ queryStringParameters: { environment: 'prod', limit } }), HistoryQuery),
    );
    expect(status).toBe(400);
    expect(body.errors[0].field).toBe('limit');
  });

  it('defaults limit to 20 and refuses unknown parameters', () => {
    expect(parseQuery(event({ queryStringParameters: { environment: 'prod' } }), HistoryQuery).limit).toBe(20);
    const { body } = problemOf(() =>
      parseQuery(event({ queryStringParameters: { environment: 'prod', env: 'x' } }), HistoryQuery),
    );
    expect(body.errors[0].field).toBe('env');
  });
});

describe('toProblem', () => {
  it('answers a fault with a generic 500 that echoes nothing of it', () => {
    const result = toProblem(new Error('connect ECONNREFUSED 10.0.0.1:8000 at Socket.foo (/var/task/index.mjs:1:2)'));
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(result.body).not.toMatch(/ECONNREFUSED|index\.mjs|Socket/);
    expect(JSON.parse(String(result.body))).toMatchObject({ status: 500, title: 'Internal error' });
  });
});

describe('route matching and the fallback route', () => {
  it('prefers static segments and decodes parameters', () => {
    const hit = matchRoute('GET', '/api/v1/platform/deployments/tag/v1.0/exists');
    expect(hit).toMatchObject({ kind: 'route', route: { id: 'TagExists' }, params: { imageTag: 'v1.0' } });
    expect(matchRoute('GET', '/api/v1/platform/deployments/history')).toMatchObject({ route: { id: 'ListHistory' } });
  });

  it('answers 405 with Allow for a known path and 404 otherwise', async () => {
    const call = (method: string, rawPath: string) =>
      fallback({ rawPath, requestContext: { http: { method } } } as unknown as HttpEvent);
    const wrong = await call('DELETE', '/api/v1/platform/deployments/history');
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers?.allow).toBe('GET');
    const missing = await call('GET', '/api/v1/platform/nothing');
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(String(missing.body))).toMatchObject({ status: 404, title: 'Not found' });
  });
});
