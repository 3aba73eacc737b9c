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
  AccessDenied,
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
  AccessDenied,
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
  for (const [id, schema] of Object.entries(out)) schemas[id] = clean(schema as Json);
  for (const route of routes) {
    const body = operations[route.id]?.body;
    const schema = inp[`${route.id}Body`];
    if (body && schema) schemas[`${route.id}Body`] = requestBody(clean(schema as Json), body.accepts);
  }
  const names = new Map<z.ZodMiniType, string>(Object.entries(OUTPUTS).map(([id, schema]) => [schema, id]));
  return { schemas, names };
}

/**
 * A request body as generated clients read it. A member with a default stays optional: the
 * default moves into its description, because openapi-typescript (its default
 * `defaultNonNullable`) makes a member with a `default` required. And an enum lists only the
 * values the route accepts (`accepts`).
 */
function requestBody(schema: Json, accepts: Record<string, readonly string[]> = {}): Json {
  const properties: Json = {};
  for (const [name, property] of Object.entries<Json>(schema.properties ?? {})) {
    const { default: fallback, ...rest } = property;
    const accepted = accepts[name];
    if (accepted) {
      const unknown = accepted.filter((value) => !(rest.enum ?? []).includes(value));
      if (unknown.length) throw new Error(`accepts of ${name}: ${unknown.join(', ')} not in its schema's enum`);
      rest.enum = [...accepted];
    }
    const said = fallback === undefined ? undefined : `Default: \`${String(fallback)}\`.`;
    properties[name] = said ? { ...rest, description: rest.description ? `${rest.description} ${said}` : said } : rest;
  }
  const unknownMembers = Object.keys(accepts).filter((name) => !(name in properties));
  if (unknownMembers.length) throw new Error(`accepts names no body member: ${unknownMembers.join(', ')}`);
  return { ...schema, properties };
}

/** Query or path parameters, one per member of the handler's strict object schema. */
function parameters(
  schema: z.ZodMiniObject | undefined,
  location: 'query' | 'path',
  notes: Record<string, string> = {},
  sent: Record<string, Json> = {},
): Json[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: TARGET, io: 'input' }) as Json;
  const required = new Set<string>(json.required ?? []);
  return Object.entries<Json>(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(notes[name] ? { description: notes[name] } : {}),
    schema: sent[name] ?? property,
  }));
}

const headerObject = (header: { description: string; required?: true }): Json => ({
  description: header.description,
  required: header.required ?? false,
  schema: { type: 'string' },
});

const problemContent = (schema = 'Problem'): Json => ({
  'application/problem+json': { schema: { $ref: SCHEMA_REF(schema) } },
});
const gatewayContent: Json = { 'application/json': { schema: { $ref: SCHEMA_REF('GatewayError') } } };

function response(spec: ResponseSpec, names: Map<z.ZodMiniType, string>): Json {
  const headers = Object.entries(spec.headers ?? {}).map(([name, header]) => [name, headerObject(header)]);
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

/**
 * Answers every route can give, besides its own. API Gateway answers some statuses itself, with
 * `{ "message" }` as application/json, before (or instead of) the function; the service's own
 * answers are application/problem+json, so the content type tells a client which it got.
 */
const COMMON_RESPONSES: Json = {
  Forbidden: {
    description:
      'API Gateway: the request is not SigV4-signed for `execute-api`, or the caller lacks `execute-api:Invoke` on it.',
    content: gatewayContent,
  },
  ForbiddenOrDenied: {
    description:
      'API Gateway (application/json): the request is not SigV4-signed for `execute-api`, or the caller lacks ' +
      '`execute-api:Invoke` on it. Or the service (application/problem+json): its access policy does not allow ' +
      'the caller this `action` in this `environment`; nothing was read or written.',
    content: { ...problemContent('AccessDenied'), ...gatewayContent },
  },
  MethodNotAllowed: {
    description: 'The path exists, but not with this method (`Allow` lists the methods it takes).',
    headers: { Allow: headerObject({ description: 'The methods the path takes, e.g. `GET, POST`.', required: true }) },
    content: problemContent(),
  },
  TooManyRequests: {
    description: "API Gateway: over the stage's throttling limits; retry with backoff.",
    content: gatewayContent,
  },
  InternalError: {
    description:
      'A fault of the service itself (problem+json, logged with the request id; never bad input, never a stack ' +
      "trace), or API Gateway's own (application/json) when the function failed or timed out.",
    content: { ...problemContent(), ...gatewayContent },
  },
  Unavailable: {
    description:
      'A dependency (the table) did not answer in time or refused for now. Nothing the caller did wrong: retry ' +
      'after `Retry-After` seconds (a write with the same Idempotency-Key lands once).',
    headers: { 'Retry-After': headerObject({ description: 'Seconds to wait before retrying.', required: true }) },
    content: problemContent(),
  },
};

/** The statuses every operation declares through COMMON_RESPONSES, and which entry each takes. */
const commonResponses = (spec: OperationSpec): Json => ({
  403: { $ref: `#/components/responses/${spec.denies ? 'ForbiddenOrDenied' : 'Forbidden'}` },
  405: { $ref: '#/components/responses/MethodNotAllowed' },
  429: { $ref: '#/components/responses/TooManyRequests' },
  500: { $ref: '#/components/responses/InternalError' },
  503: { $ref: '#/components/responses/Unavailable' },
});

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
  for (const [status, common] of Object.entries(commonResponses(spec))) {
    if (responses[status]) throw new Error(`${route.id} declares ${status}, which every route has (document.ts)`);
    responses[status] = common;
  }
  return {
    operationId: route.id,
    summary: route.summary,
    description: spec.description,
    parameters: [
      ...parameters(spec.path, 'path', spec.notes),
      ...parameters(spec.query, 'query', spec.notes, spec.params as Json | undefined),
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
