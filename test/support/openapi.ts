/**
 * Checks HTTP answers against the committed OpenAPI document (docs/openapi.json): the status is
 * one the operation documents (any other fails), every header the document marks required for
 * it is there (Location, Allow, Retry-After), the content type is the documented one, and the
 * body matches its schema (ajv, JSON Schema 2020-12, formats checked). Requests no route takes (404, 405)
 * must answer with the Problem schema. The e2e helpers run every response through this, so
 * the document cannot drift from what the handlers do.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { matchRoute } from '../../functions/routes.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is open-ended JSON
type Json = Record<string, any>;

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCHEMAS_ID = 'urn:platform-rollback:openapi-schemas';

/** The committed document, as users get it. */
export const OPENAPI: Json = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'openapi.json'), 'utf8'));

/** `#/components/schemas/X` → the same schema inside the one schema ajv holds for all components. */
const rebase = (schema: unknown): Json =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`));

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addSchema({ $id: SCHEMAS_ID, $defs: rebase(OPENAPI.components.schemas) });

const compiled = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: Json): ValidateFunction {
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(rebase(schema));
    compiled.set(key, validate);
  }
  return validate;
}

function resolve(object: Json): Json {
  const ref: string | undefined = object.$ref;
  if (!ref) return object;
  const name = ref.replace('#/components/responses/', '');
  return OPENAPI.components.responses[name];
}

export interface Answer {
  method: string;
  /** The request path, without the query string. */
  path: string;
  status: number;
  contentType: string | null;
  /** The body as text ('' for none). */
  text: string;
  /** The response headers (a fetch Response's, or a Lambda result's). */
  headers: Headers | Record<string, string | number | boolean | undefined>;
}

/** The answer a fetch Response gave, its body already read as `text`. */
export const answerOf = (method: string, path: string, response: Response, text: string): Answer => ({
  method,
  path,
  status: response.status,
  contentType: response.headers.get('content-type'),
  text,
  headers: response.headers,
});

function headerOf(answer: Answer, name: string): string | undefined {
  if (answer.headers instanceof Headers) return answer.headers.get(name) ?? undefined;
  const key = Object.keys(answer.headers).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : answer.headers[key];
  return value === undefined ? undefined : String(value);
}

/** The headers the document requires on this answer that it lacks. */
function missingHeaders(where: string, documented: Json, answer: Answer): string[] {
  return Object.entries<Json>(documented.headers ?? {})
    .filter(([name, header]) => header.required && !headerOf(answer, name))
    .map(([name]) => `${where}: the document requires the header ${name}, which the answer lacks`);
}

/** Local mode's own endpoints (infra/local/stack.ts): not part of the API, so not in its description. */
const LOCAL_ONLY = /^\/(_local\/|openapi\.json$)/;

/** What is wrong with this answer by the document; empty when it matches. */
export function violations(answer: Answer): string[] {
  if (LOCAL_ONLY.test(answer.path)) return [];
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  const match = matchRoute(answer.method, answer.path);
  let documented: Json | undefined;
  let key: string;
  if (match.kind === 'route') {
    const operation: Json = OPENAPI.paths[match.route.path]?.[match.route.method.toLowerCase()];
    if (!operation) return [`${where}: ${match.route.id} is not in docs/openapi.json`];
    const response = operation.responses[String(answer.status)];
    if (!response) {
      return [`${where}: status ${answer.status} is not documented for ${match.route.id}`];
    }
    documented = resolve(response);
    key = `${match.route.id} ${answer.status}`;
  } else {
    // No route takes it: the fallback's 404, or the 405 with Allow every operation declares.
    const expected = match.kind === 'not-found' ? 404 : 405;
    if (answer.status !== expected) return [`${where}: a request no route takes must get ${expected}`];
    documented =
      expected === 405
        ? OPENAPI.components.responses.MethodNotAllowed
        : { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    key = `fallback ${expected}`;
  }
  const headers = missingHeaders(where, documented ?? {}, answer);
  if (headers.length) return headers;
  const content: Json = documented?.content ?? {};
  const mediaType = answer.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (Object.keys(content).length === 0) {
    return answer.text === '' ? [] : [`${where}: the document gives this answer no body, but it has one`];
  }
  const media = content[mediaType];
  if (!media)
    return [`${where}: content type ${mediaType || '(none)'} is not one of ${Object.keys(content).join(', ')}`];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`${where}: the body is not JSON`];
  }
  const validate = validatorFor(`${key} ${mediaType}`, media.schema);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Throws, naming every mismatch, when the answer does not match the document. */
export function assertDocumented(answer: Answer): void {
  const found = violations(answer);
  if (found.length) throw new Error(`response does not match docs/openapi.json:\n${found.join('\n')}`);
}
