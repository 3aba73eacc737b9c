/**
 * The local API: a plain Node.js HTTP server that turns each request into the API Gateway
 * HTTP API (payload 2.0) event the Lambda gets in AWS, and calls the same handler module the
 * stack deploys for that route (from functions/routes.ts). Requests no route takes go to the
 * fallback handler, as API Gateway's `$default` route does.
 *
 * It runs on a laptop next to a browser, so before anything else each request passes the
 * rules of web/loopback-guard.ts for a server that answers its page and the machine's own
 * clients: its own Host only; writes from a browser only from its own page, with the launch
 * token (a cookie the page gets when served) and as JSON; curl, the CLI and scripts (no
 * `Origin`) as the contract says, with no token.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidInputError } from '../../functions/core/errors.js';
import type { HttpEvent, HttpHandler, HttpResult } from '../../functions/lib/http.js';
import { MAX_BODY_BYTES, toProblem } from '../../functions/lib/http.js';
import { FALLBACK, matchRoute, type Route } from '../../functions/routes.js';
import {
  type LoopbackGuard,
  listenOnLoopback,
  loopbackGuard,
  loopbackServer,
  Refusal,
  refuse,
  send,
} from '../../web/loopback-guard.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The principal local mode writes as `deployedBy` / `rolledBackBy` (contract: `local`). */
export const LOCAL_PRINCIPAL = 'local';

const handlers = new Map<string, Promise<HttpHandler>>();
function handlerOf(entry: string): Promise<HttpHandler> {
  let loaded = handlers.get(entry);
  if (!loaded) {
    loaded = import(pathToFileURL(join(ROOT, entry)).href).then((m: { handler: HttpHandler }) => m.handler);
    handlers.set(entry, loaded);
  }
  return loaded;
}

/**
 * Keeps at most one byte past the limit (enough for the handler to answer 413) and drains
 * the rest, so the client still gets that answer instead of a reset connection.
 */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

/** A `.` or `..` path segment, also percent-encoded (`%2e`, `.%2E`, ...). */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Whether the request target's path holds a dot segment. Checked on the raw target, before
 * `new URL` resolves it: `.../rollback/../rollback` must not reach the rollback route, as no
 * gateway would route it there.
 */
export function hasDotSegment(target: string): boolean {
  const path = target.split(/[?#]/, 1)[0] ?? '';
  return path.split('/').some((segment) => DOT_SEGMENT.test(segment));
}

const TEXTUAL = /^(application\/(.+\+)?json|text\/)/i;

/** The payload 2.0 event API Gateway would build for this request. */
export function toEvent(
  request: IncomingMessage,
  body: Buffer,
  route: Route | undefined,
  params: Record<string, string>,
): HttpEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // Object.fromEntries defines own properties, so even `__proto__=x` arrives as a parameter.
  const query: Record<string, string> = Object.fromEntries(
    [...new Set(url.searchParams.keys())].map((key) => [key, url.searchParams.getAll(key).join(',')]),
  );
  const method = (request.method ?? 'GET').toUpperCase();
  const routeKey = route ? `${route.method} ${route.path}` : '$default';
  const now = new Date();
  // Like API Gateway, pass text as text, anything else (and bytes that are not UTF-8) as base64.
  const textual = TEXTUAL.test(headers['content-type'] ?? '') && isUtf8(body);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(route && Object.keys(params).length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        iam: {
          accessKey: 'LOCAL',
          accountId: '000000000000',
          callerId: LOCAL_PRINCIPAL,
          cognitoIdentity: null as never,
          principalOrgId: '',
          userArn: LOCAL_PRINCIPAL,
          userId: LOCAL_PRINCIPAL,
        },
      },
    },
    ...(body.length ? { body: body.toString(textual ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** What a local route is given: the raw body and headers, and the server's guard (for the page's token cookie). */
export interface LocalRequest {
  body: Buffer;
  headers: IncomingHttpHeaders;
  guard: LoopbackGuard;
}

/** Local-only routes (`METHOD /path`), served before the route table; not part of the API. */
export type LocalRoutes = Record<string, (request: LocalRequest) => Promise<HttpResult>>;

/** Sees every answer the API gives (local routes excepted); the e2e suite checks each against the OpenAPI document. */
export type ResponseObserver = (request: { method: string; path: string }, result: HttpResult) => void;

/**
 * Serves every route of the route table on 127.0.0.1:`port` (0: any free port), plus
 * `localRoutes`; `observe` is shown each API answer before it is sent.
 */
export async function startApiServer(
  port: number,
  localRoutes: LocalRoutes = {},
  observe?: ResponseObserver,
): Promise<{ server: Server; url: string }> {
  let actual = port;
  const guard = loopbackGuard({ port: () => actual, audience: 'page-and-clients' });
  const server = loopbackServer(async (request, response) => {
    try {
      guard.check(request);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      // Drain what the client still sends, so it reads the refusal rather than a reset.
      request.resume();
      refuse(response, error);
      return;
    }
    let result: HttpResult;
    const target = request.url ?? '/';
    const path = new URL(target, 'http://localhost').pathname;
    try {
      const body = await readBody(request);
      if (hasDotSegment(target)) {
        result = toProblem(
          new InvalidInputError([
            { field: 'path', message: 'must not contain . or .. segments (also percent-encoded)' },
          ]),
          target.split(/[?#]/, 1)[0],
        );
        send(response, result.statusCode ?? 400, result.headers as Record<string, string>, result.body ?? '');
        return;
      }
      const local = localRoutes[`${request.method} ${path}`];
      if (local) {
        const answer = await local({ body, headers: request.headers, guard });
        send(response, answer.statusCode ?? 200, answer.headers as Record<string, string>, answer.body ?? '');
        return;
      }
      const match = matchRoute(request.method ?? 'GET', path);
      const route = match.kind === 'route' ? match.route : undefined;
      const handler = await handlerOf(route ? route.entry : FALLBACK.entry);
      result = await handler(toEvent(request, body, route, match.kind === 'route' ? match.params : {}));
    } catch (error) {
      // Handlers and local routes map their own errors; reaching here means the local server itself broke.
      console.error('local server error', error);
      result = {
        statusCode: 502,
        headers: { 'content-type': 'application/problem+json' },
        body: '{"title":"Bad gateway","status":502}',
      };
    }
    observe?.({ method: request.method ?? 'GET', path }, result);
    send(
      response,
      result.statusCode ?? 200,
      result.headers as Record<string, string>,
      result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''),
    );
  });
  actual = await listenOnLoopback(server, port);
  return { server, url: `http://127.0.0.1:${actual}` };
}
