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
});
