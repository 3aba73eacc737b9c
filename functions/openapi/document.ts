/**
 * Builds the OpenAPI 3.1 document from the route table (paths, methods, summaries) and
 * spec.ts (the zod schemas each handler parses, and every status it answers with), through
 * zod's own JSON Schema output (draft 2020-12, OpenAPI 3.1's dialect). Nothing in it is
 * written by hand: `npm run openapi` writes it to docs/openapi.json, local mode serves it at
 * GET /openapi.json, and the e2e suite checks every response against it.
 */

import * as z from '../core/zod.js';
import { BASE_PATH, ROUTES, type Route } from '../routes.js';
import {
  DeploymentRecord,
  EnvironmentsAnswer,
  GatewayError,
  HistoryPage,
  MetricsAnswer,
  Problem,
  RollbackRun,
  RollbackTarget,
  RunsPage,
  TagExistsAnswer,
} from './responses.js';
import { OPERATIONS, type OperationSpec, type ResponseSpec } from './spec.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema and OpenAPI objects are open-ended JSON
type Json = Record<string, any>;

const SCHEMA_REF = (id: string) => `#/components/schemas/${id}`;
const TARGET = 'draft-2020-12';

/** The response shapes every document names as components, by their component name. */
const OUTPUTS: Record<string, z.ZodMiniType> = {
  Deployment: DeploymentRecord,
  HistoryPage,
  RollbackTarget,
  TagExistsAnswer,
  Environments: EnvironmentsAnswer,
  Metrics: MetricsAnswer,
  RollbackRun,
  RunsPage,
  Problem,
  GatewayError,
};

/**
 * zod's output, minus the `$schema` member every top-level schema gets (the document sets the
 * dialect) and the `$id` a registry gives each (a fragment, which 2020-12 does not allow there).
 */
function clean(schema: Json): Json {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** Component schemas, one call per direction: what requests may send (input) and what responses hold (output). */
function components(routes: readonly Route[], operations: Record<string, OperationSpec>) {
  const outputs = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(OUTPUTS)) outputs.add(schema, { id });
  const inputs = z.registry<{ id: string }>();
  for (const route of routes) {
    const body = operations[route.id]?.body;
    if (body) inputs.add(body.schema, { id: `${route.id}Body` });
  }
  const common = { target: TARGET, uri: SCHEMA_REF } as const;
  const out = z.toJSONSchema(outputs, { ...common, io: 'output' }).schemas;
  const inp = z.toJSONSchema(inputs, { ...common, io: 'input' }).schemas;
  const schemas: Json = {};
  for (const [id, schema] of Object.entries({ ...out, ...inp })) schemas[id] = clean(schema as Json);
  const names = new Map<z.ZodMiniType, string>(Object.entries(OUTPUTS).map(([id, schema]) => [schema, id]));
  return { schemas, names };
}

/** Query or path parameters, one per member of the handler's strict object schema. */
function parameters(
  schema: z.ZodMiniObject | undefined,
  location: 'query' | 'path',
  notes: Record<string, string> = {},
): Json[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: TARGET, io: 'input' }) as Json;
  const required = new Set<string>(json.required ?? []);
  return Object.entries<Json>(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(notes[name] ? { description: notes[name] } : {}),
    schema: property,
  }));
}

function response(spec: ResponseSpec, names: Map<z.ZodMiniType, string>): Json {
  const headers = Object.entries(spec.headers ?? {}).map(([name, header]) => [
    name,
    { description: header.description, required: header.required ?? false, schema: { type: 'string' } },
  ]);
  let content: Json | undefined;
  if (spec.problem) content = { 'application/problem+json': { schema: { $ref: SCHEMA_REF('Problem') } } };
  else if (spec.body) {
    const name = names.get(spec.body);
    const schema = name ? { $ref: SCHEMA_REF(name) } : clean(z.toJSONSchema(spec.body, { target: TARGET }) as Json);
    content = { 'application/json': { schema } };
  }
  return {
    description: spec.description,
    ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
    ...(content ? { content } : {}),
  };
}

/** Answers every route can give, besides its own: the service's 500, and API Gateway's 403 and 429. */
const COMMON_RESPONSES: Json = {
  Forbidden: {
    description:
      'API Gateway: the request is not SigV4-signed for `execute-api`, or the caller lacks `execute-api:Invoke` on it.',
    content: { 'application/json': { schema: { $ref: SCHEMA_REF('GatewayError') } } },
  },
  TooManyRequests: {
    description: "API Gateway: over the stage's throttling limits; retry with backoff.",
    content: { 'application/json': { schema: { $ref: SCHEMA_REF('GatewayError') } } },
  },
  InternalError: {
    description: 'A fault of the service itself (logged with the request id); never bad input, never a stack trace.',
    content: { 'application/problem+json': { schema: { $ref: SCHEMA_REF('Problem') } } },
  },
};

function operation(route: Route, spec: OperationSpec, names: Map<z.ZodMiniType, string>): Json {
  const headerParameters = Object.entries(spec.headers ?? {}).map(([name, header]) => ({
    name,
    in: 'header',
    required: false,
    description: header.description,
    schema: clean(z.toJSONSchema(header.schema, { target: TARGET, io: 'input' }) as Json),
  }));
  const responses: Json = {};
  for (const [status, response_] of Object.entries(spec.responses)) responses[status] = response(response_, names);
  Object.assign(responses, {
    403: { $ref: '#/components/responses/Forbidden' },
    429: { $ref: '#/components/responses/TooManyRequests' },
    500: { $ref: '#/components/responses/InternalError' },
  });
  return {
    operationId: route.id,
    summary: route.summary,
    description: spec.description,
    parameters: [
      ...parameters(spec.path, 'path', spec.notes),
      ...parameters(spec.query, 'query', spec.notes),
      ...headerParameters,
    ],
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required,
            content: { 'application/json': { schema: { $ref: SCHEMA_REF(`${route.id}Body`) } } },
          },
        }
      : {}),
    responses,
  };
}

/** Routes without a spec entry: the document cannot be built while this is not empty. */
export function undescribedRoutes(routes: readonly Route[] = ROUTES, operations = OPERATIONS): string[] {
  return routes.filter((route) => !Object.hasOwn(operations, route.id)).map((route) => route.id);
}

/** The OpenAPI 3.1 document of `routes` (default: the route table). */
export function buildOpenApi(routes: readonly Route[] = ROUTES, operations = OPERATIONS): Json {
  const missing = undescribedRoutes(routes, operations);
  if (missing.length) {
    throw new Error(`routes without an entry in functions/openapi/spec.ts: ${missing.join(', ')}`);
  }
  const { schemas, names } = components(routes, operations);
  const paths: Json = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route, operations[route.id] as OperationSpec, names);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'platform-rollback',
      version: '1',
      summary: 'Deployment records and safe rollbacks for CD pipelines and CloudWatch alarms.',
      description:
        `Every route lives under \`${BASE_PATH}\`. Bodies are JSON; every error is application/problem+json ` +
        '(RFC 9457). Unknown body members and unknown query parameters are a 400 naming them. A request to a ' +
        'path the API does not serve is a 404, a known path with another method a 405 with `Allow`, both as ' +
        'problems. The contract in words: docs/API.md in the repository.',
      license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: "The deployed API (the stack's ApiUrl output).",
        variables: { apiId: { default: 'a1b2c3d4e5' }, region: { default: 'eu-west-1' } },
      },
      { url: 'http://127.0.0.1:3000', description: 'Local mode (`npm start`): unsigned, the caller is `local`.' },
    ],
    security: [{ sigv4: [] }],
    paths,
    components: {
      schemas,
      responses: COMMON_RESPONSES,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS Signature Version 4 for the service `execute-api`, with IAM credentials allowed ' +
            '`execute-api:Invoke` on the route (temporary credentials add `x-amz-security-token`).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
