/**
 * The `platform-rollback console` server: serves the web console on 127.0.0.1 and forwards the
 * page's API calls to the deployed API, SigV4-signed with the user's own credentials, as
 * `kubectl proxy` does. The browser never sees a credential. Because any web page the user
 * opens can send requests to 127.0.0.1, it obeys the rules of web/loopback-guard.ts for a server
 * that serves its page alone: its own Host only, the per-launch token on every request (from
 * the printed URL once, which becomes an HttpOnly SameSite=Strict cookie and leaves the
 * address bar), and writes only from the page itself, as JSON. Then:
 *
 * - Only the contract's routes (matchRoute of functions/routes.ts) are forwarded, and only to
 *   the configured API; of the writing ones, only the two rollback routes, and only when
 *   started with --allow-rollback. Everything else is refused here.
 *
 * Answers carry the console's CSP and security headers and never a CORS header.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BASE_PATH, matchRoute } from '../../functions/routes.js';
import { CONSOLE_PATHS, type ConsoleConfig, consoleBuild } from '../../web/assets.js';
import { listenOnLoopback, loopbackGuard, loopbackServer, Refusal, refuse, send } from '../../web/loopback-guard.js';
import { type Credentials, signRequest } from '../sigv4.js';

/** The largest request body forwarded (the API's own limit). */
const MAX_BODY_BYTES = 64 * 1024;

/** The writes a console may make, and only with --allow-rollback: the two ways to roll back. */
export const ROLLBACK_ROUTES: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: `${BASE_PATH}/tag/{imageTag}/rollback` },
  { method: 'POST', path: `${BASE_PATH}/rollbacks` },
];

/** Request headers passed on to the API; nothing else the browser sends (cookies above all) leaves the machine. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'idempotency-key'];
/** Response headers passed back to the page. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'allow', 'retry-after'];

export interface ConsoleProxyOptions {
  /** The deployed API's base URL (a stage path, if any, is kept). */
  apiUrl: string;
  /** 0: any free port. */
  port: number;
  allowRollback: boolean;
  /** SigV4 signing (the deployed API); false for an unsigned API (local mode). */
  sign: false | { region: string; credentials: Credentials };
  /** The launch token; default: 32 random bytes. */
  token?: string;
  fetch?: typeof fetch;
  /** The signing clock; tests fix it. */
  now?: () => Date;
  /** How often the page refreshes. */
  pollMs?: number;
}

export interface ConsoleProxy {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The URL to open: the origin with the token, which the first visit turns into a cookie. */
  loginUrl: string;
  token: string;
  /** The cookie that carries the token after the first visit. */
  cookieName: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Refusal(413, 'Request body too large', 'The API takes at most 64 KiB.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Starts the console server on 127.0.0.1. */
export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const api = new URL(options.apiUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  let port = options.port;
  // The page alone: every request needs the token, every write comes from the page.
  const guard = loopbackGuard({
    port: () => port,
    audience: 'page',
    ...(options.token ? { token: options.token } : {}),
  });
  const token = guard.token;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = (request.method ?? 'GET').toUpperCase();
    guard.checkHost(request);
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);

    // The token, once in the printed URL: it becomes the cookie, and leaves the address bar.
    const fromUrl = url.searchParams.get('token');
    if (fromUrl !== null && url.pathname === CONSOLE_PATHS.page && method === 'GET') {
      if (!guard.isToken(fromUrl)) throw new Refusal(401, 'Wrong token', 'Open the URL the console printed.');
      send(response, 303, { location: '/', 'set-cookie': guard.setCookie(), 'content-type': 'text/plain' }, 'See /');
      return;
    }
    guard.check(request);

    // The page itself and its config.
    if (method === 'GET' && url.pathname === CONSOLE_PATHS.config) {
      const config: ConsoleConfig = {
        allowRollback: options.allowRollback,
        mode: 'proxy',
        api: api.origin,
        pollMs: options.pollMs ?? 10_000,
      };
      send(response, 200, { 'content-type': 'application/json' }, JSON.stringify(config));
      return;
    }
    if (method === 'GET') {
      const file = (await consoleBuild()).get(url.pathname);
      if (file) {
        send(response, 200, { 'content-type': file.contentType }, file.body);
        return;
      }
    }

    // The contract's routes only, to the configured API only; writes only to roll back, only if allowed.
    const match = url.pathname.startsWith(`${BASE_PATH}`) ? matchRoute(method, url.pathname) : undefined;
    if (match?.kind !== 'route') {
      throw new Refusal(404, 'Not found', 'The console forwards only the routes of the deployments API.');
    }
    const isRollback = ROLLBACK_ROUTES.some((r) => r.method === method && r.path === match.route.path);
    if (method !== 'GET' && !isRollback) {
      throw new Refusal(403, 'Not from the console', 'The console changes nothing but rollbacks.');
    }
    if (isRollback && !options.allowRollback) {
      throw new Refusal(403, 'Read-only console', 'Start it with --allow-rollback to roll back from the page.');
    }
    const body = method === 'GET' ? undefined : (await readBody(request)).toString('utf8');
    const target = new URL(api);
    target.pathname = `${api.pathname.replace(/\/+$/, '')}${url.pathname}`;
    target.search = url.search;
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string' && (name !== 'content-type' || body !== undefined)) headers[name] = value;
    }
    const signed = options.sign
      ? await signRequest(
          { method, url: target, headers, body },
          {
            region: options.sign.region,
            credentials: options.sign.credentials,
            ...(options.now ? { signingDate: options.now() } : {}),
          },
        )
      : headers;
    let answer: Response;
    try {
      answer = await doFetch(target, { method, headers: signed, body, redirect: 'manual' });
    } catch {
      throw new Refusal(502, 'The API did not answer', `No answer from ${api.origin}.`);
    }
    const back: Record<string, string> = {};
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name);
      if (value) back[name] = value;
    }
    send(response, answer.status, back, Buffer.from(await answer.arrayBuffer()));
  };

  const server: Server = loopbackServer((request, response) => {
    handle(request, response).catch((error) => {
      if (error instanceof Refusal) {
        // Drain what the client still sends, so it reads the refusal rather than a reset.
        request.resume();
        refuse(response, error);
        return;
      }
      refuse(response, new Refusal(500, 'Console error', 'The console server failed; see its terminal.'));
      console.error('console error', error);
    });
  });
  port = await listenOnLoopback(server, options.port);
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    loginUrl: `${origin}/?token=${token}`,
    token,
    cookieName: guard.cookieName(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
