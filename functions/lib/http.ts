/**
 * HTTP plumbing for the Lambda handlers (API Gateway HTTP API, payload 2.0): parsing input
 * against the contract's schemas, shaping responses, and THE error mapper that turns any
 * error into application/problem+json. Handlers only call into this; none builds a
 * response or a problem by hand.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { clip, DependencyUnavailableError, DomainError, type FieldError, InvalidInputError } from '../core/errors.js';
import type * as z from '../core/zod.js';
import { matchRoute } from '../routes.js';
import { logger } from './logger.js';
import { withSourceStack } from './source-map.js';

export type HttpEvent = APIGatewayProxyEventV2WithIAMAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

/** The largest request body the service accepts (contract: 413 above 64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

const PROBLEM_TYPE = 'urn:platform-rollback:problem:';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly title = 'Request body too large';
}

class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

/** Raised by the fallback route: a path the service does not serve. */
export class RouteNotFoundError extends DomainError {
  readonly status = 404;
  readonly title = 'Not found';
}

/** Raised by the fallback route: a known path asked with a method it does not take. */
export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly title = 'Method not allowed';
  constructor(
    readonly allow: string[],
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The contract's 404 or 405 for a request the route table does not serve with this method,
 * or undefined when it does. `always`: the request reached no route at all (API Gateway's
 * `$default`), so answer 404 even where the table would match.
 */
export function routeMiss(event: HttpEvent, options: { always?: boolean } = {}): HttpResult | undefined {
  const method = event.requestContext.http.method;
  const match = matchRoute(method, event.rawPath);
  if (match.kind === 'route' && !options.always) return undefined;
  const path = clip(event.rawPath);
  const error =
    match.kind === 'method-not-allowed'
      ? new MethodNotAllowedError(match.allow, `${path} does not take ${method}; it takes ${match.allow.join(', ')}.`)
      : new RouteNotFoundError(`No route ${method} ${path}.`);
  return toProblem(error, event.rawPath);
}

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const ok = (body: unknown, headers?: Record<string, string>) => json(200, body, headers);
export const created = (body: unknown, location: string, headers?: Record<string, string>) =>
  json(201, body, { location, ...headers });
/** 202: the work was started and goes on (a rollback run); `location` is where to follow it. */
export const accepted = (body: unknown, location: string, headers?: Record<string, string>) =>
  json(202, body, { location, ...headers });

const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/(^-|-$)/g, '');

/**
 * THE error mapper. Domain errors become their 4xx problem; anything else is a fault of the
 * service: logged in full, answered with a generic 500 that echoes nothing of it. The
 * `instance` (the request's path) is clipped like every echo of input (core/errors.ts).
 */
export function toProblem(error: unknown, path?: string): HttpResult {
  const instance = path === undefined ? undefined : clip(path);
  const problem =
    error instanceof DomainError
      ? {
          type: `${PROBLEM_TYPE}${slug(error.title)}`,
          title: error.title,
          status: error.status,
          detail: error.message,
          ...(instance ? { instance } : {}),
          ...error.extensions(),
        }
      : {
          type: `${PROBLEM_TYPE}internal-error`,
          title: 'Internal error',
          status: 500,
          detail: 'The service failed to handle this request. It has been logged; retrying may help.',
          ...(instance ? { instance } : {}),
        };
  if (!(error instanceof DomainError)) logger.error('unhandled error', { error: withSourceStack(error as Error) });
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ');
  if (error instanceof DependencyUnavailableError) {
    // The cause (a timeout, throttling) is for the operator, not the caller.
    logger.warn('dependency unavailable', { dependency: error.dependency, error: error.cause as Error });
    headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return { statusCode: problem.status, headers, body: JSON.stringify(problem) };
}

function fieldErrors(error: z.core.$ZodError, root: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: path ? `${path}.${key}` : key,
        message: 'is not a member this route accepts',
      }));
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return [{ field: path || root, message: missing ? 'is required' : issue.message }];
  });
}

function validate<S extends z.ZodMiniType>(schema: S, value: unknown, root: string): z.infer<S> {
  // reportInput keeps each issue's input, so a member of the wrong type is not mistaken for a
  // missing one in fieldErrors (the input itself is never echoed to the caller).
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw new InvalidInputError(fieldErrors(result.error, root));
  return result.data;
}

function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name] ?? undefined;
}

/**
 * The JSON body, checked against `schema`. Size, media type and syntax are checked first,
 * so a bad request never reaches a use case. `optional`: an empty body counts as `{}`.
 */
export function parseBody<S extends z.ZodMiniType>(event: HttpEvent, schema: S, options: { optional?: boolean } = {}) {
  const raw = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  if (raw && raw.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is larger than the limit of ${MAX_BODY_BYTES} bytes.`);
  }
  if (!raw || raw.length === 0) {
    if (options.optional) return validate(schema, {}, 'body');
    throw new InvalidInputError([{ field: 'body', message: 'is required: a JSON object' }]);
  }
  const type = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !type?.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(
      type
        ? `The body must be JSON sent with content-type application/json, not ${clip(type)}.`
        : 'The body must be JSON sent with content-type application/json; this request has no content-type.',
    );
  }
  let value: unknown;
  try {
    // JSON text is UTF-8 (RFC 8259): invalid bytes are bad JSON, not replacement characters.
    value = JSON.parse(UTF8.decode(raw));
  } catch {
    throw new InvalidInputError([{ field: 'body', message: 'is not valid JSON' }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError([{ field: 'body', message: 'must be a JSON object' }]);
  }
  return validate(schema, value, 'body');
}

/** The query string, checked against `schema` (unknown parameters are refused). */
export function parseQuery<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  return validate(schema, { ...event.queryStringParameters }, 'query');
}

/** The path parameters, checked against `schema`. */
export function parsePath<S extends z.ZodMiniType>(event: HttpEvent, schema: S): z.infer<S> {
  return validate(schema, { ...event.pathParameters }, 'path');
}

/** An optional header, checked against `schema` and reported under the header's name. */
export function parseHeader<S extends z.ZodMiniType>(
  event: HttpEvent,
  name: string,
  schema: S,
): z.infer<S> | undefined {
  const value = header(event, name.toLowerCase());
  return value === undefined ? undefined : validate(schema, value, name);
}

/**
 * The authenticated caller: the IAM principal API Gateway passes on. Never taken from the
 * body. Every route requires IAM auth, so its absence is a deployment fault, not bad input.
 */
export function callerOf(event: HttpEvent): string {
  const arn = event.requestContext?.authorizer?.iam?.userArn;
  if (!arn) throw new Error('request reached a handler without an IAM principal; is the route IAM-authorized?');
  return arn;
}

/** A value that may come from the query or the body; both given and different is a 400. */
export function eitherOf(field: string, fromQuery: string | undefined, fromBody: string | undefined) {
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody) {
    throw new InvalidInputError([{ field, message: 'differs between the query string and the body' }]);
  }
  return fromQuery ?? fromBody;
}
