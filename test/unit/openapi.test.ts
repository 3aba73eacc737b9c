import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, undescribedRoutes } from '../../functions/openapi/document.js';
import { OPERATIONS } from '../../functions/openapi/spec.js';
import { ROUTES, type Route } from '../../functions/routes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = () => JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8'));

describe('the OpenAPI document', () => {
  it('describes every route of the route table (add an entry to functions/openapi/spec.ts for a new route)', () => {
    expect(undescribedRoutes()).toEqual([]);
    expect(Object.keys(OPERATIONS).sort()).toEqual(ROUTES.map((r) => r.id).sort());
  });

  it('refuses to build while a route has no spec entry, naming it', () => {
    const extra: Route = { ...(ROUTES[0] as Route), id: 'NewRoute', path: '/api/v1/platform/deployments/new' };
    expect(undescribedRoutes([...ROUTES, extra])).toEqual(['NewRoute']);
    expect(() => buildOpenApi([...ROUTES, extra])).toThrow(/NewRoute/);
  });

  it('is committed as generated: run `npm run openapi` after changing a route or a schema', () => {
    expect(committed()).toEqual(buildOpenApi());
  });

  it('passes a real OpenAPI 3.1 validator', async () => {
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(committed())).resolves.toBeDefined();
  });

  it('has one operation per route, each with its path parameters, a problem for 400 and the service 500', () => {
    const document = buildOpenApi();
    for (const route of ROUTES) {
      const operation = document.paths[route.path][route.method.toLowerCase()];
      expect(operation.operationId).toBe(route.id);
      const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        operation.parameters.filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name),
      ).toEqual(inPath);
      expect(operation.responses['400'].content['application/problem+json']).toBeDefined();
      expect(operation.responses['500']).toEqual({ $ref: '#/components/responses/InternalError' });
    }
    expect(document.components.securitySchemes.sigv4['x-amazon-apigateway-authtype']).toBe('awsSigv4');
    expect(Object.keys(document.components.schemas.Problem.properties)).toEqual(
      expect.arrayContaining(['errors', 'currentStatus', 'environments', 'runId']),
    );
  });

  it('keeps request bodies strict and required members required, as the handlers parse them', () => {
    const { RecordDeploymentBody, FinishDeploymentBody, RollbackDeploymentBody } = buildOpenApi().components.schemas;
    expect(RecordDeploymentBody.additionalProperties).toBe(false);
    expect(RecordDeploymentBody.required).toEqual(['environment', 'imageTag']);
    expect(FinishDeploymentBody.required).toEqual(['status']);
    expect(RollbackDeploymentBody.required).toBeUndefined();
  });

  it('declares on every route API Gateway 403 and 429, the 405 with Allow, the 503 with Retry-After and the 500', () => {
    const document = buildOpenApi();
    const { responses } = document.components;
    for (const route of ROUTES) {
      const declared = document.paths[route.path][route.method.toLowerCase()].responses;
      for (const status of ['403', '405', '429', '500', '503'])
        expect(declared[status], `${route.id} ${status}`).toBeDefined();
      // The access policy's 403 is declared exactly where the use case checks it.
      expect(declared['403'].$ref).toBe(
        `#/components/responses/${OPERATIONS[route.id]?.denies ? 'ForbiddenOrDenied' : 'Forbidden'}`,
      );
    }
    expect(responses.MethodNotAllowed.headers.Allow.required).toBe(true);
    expect(responses.Unavailable.headers['Retry-After'].required).toBe(true);
    expect(Object.keys(responses.ForbiddenOrDenied.content).sort()).toEqual([
      'application/json',
      'application/problem+json',
    ]);
    expect(document.components.schemas.AccessDenied.required).toEqual(
      expect.arrayContaining(['environment', 'action', 'status']),
    );
    expect(Object.keys(responses.Forbidden.content)).toEqual(['application/json']);
    // The routes that take a body, and only they, answer 413 and 415.
    for (const route of ROUTES) {
      const declared = document.paths[route.path][route.method.toLowerCase()].responses;
      const takesBody = OPERATIONS[route.id]?.body !== undefined;
      expect(declared['413'] !== undefined, route.id).toBe(takesBody);
      expect(declared['415'] !== undefined, route.id).toBe(takesBody);
    }
  });

  it('describes `limit` as a client sends it: an integer from 1 to 100', () => {
    const document = buildOpenApi();
    for (const path of ['/history', '/rollbacks']) {
      const limit = document.paths[`/api/v1/platform/deployments${path}`].get.parameters.find(
        (p: { name: string }) => p.name === 'limit',
      );
      expect(limit).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } });
    }
  });

  it('gives generated clients request bodies they read right: defaults in words, enums of accepted values only', () => {
    const { RecordDeploymentBody, FinishDeploymentBody } = buildOpenApi().components.schemas;
    const bodies = Object.entries(buildOpenApi().components.schemas).filter(([name]) => name.endsWith('Body'));
    for (const [name, body] of bodies) {
      const { properties } = body as { properties: Record<string, object> };
      for (const [member, property] of Object.entries(properties)) {
        expect(property, `${name}.${member}`).not.toHaveProperty('default');
      }
    }
    expect(RecordDeploymentBody.properties.status).toMatchObject({
      enum: ['IN_PROGRESS', 'DEPLOYED', 'FAILED'],
      description: 'Default: `DEPLOYED`.',
    });
    expect(RecordDeploymentBody.required).not.toContain('status');
    expect(FinishDeploymentBody.properties.status.enum).toEqual(['DEPLOYED', 'FAILED']);
  });

  it('refuses an `accepts` that names a value the handler does not take', () => {
    const spec = OPERATIONS.FinishDeployment;
    if (!spec?.body) throw new Error('FinishDeployment has a body');
    const broken = {
      ...OPERATIONS,
      FinishDeployment: { ...spec, body: { ...spec.body, accepts: { status: ['GONE'] } } },
    };
    expect(() => buildOpenApi(ROUTES, broken)).toThrow(/GONE not in its schema's enum/);
  });
});
