/**
 * The `platform-rollback console` server: serves the web console on 127.0.0.1 and forwards the
 * page's API calls to the deployed API, SigV4-signed with the user's own credentials, as
 * `kubectl proxy` does. The browser never sees a credential. Because any web page the user
 * opens can send requests to 127.0.0.1, every request must pass, in this order:
 *
 * 1. Host: exactly this server's own `127.0.0.1:<port>` or `localhost:<port>` (a DNS-rebinding
 *    page arrives with its own host name).
 * 2. Token: the per-launch token, from the printed URL once (then it becomes an HttpOnly,
 *    SameSite=Strict cookie, and the URL drops it) or from that cookie.
 * 3. For anything but GET: a same-origin request (Origin, or else Sec-Fetch-Site) with
 *    content-type application/json (an HTML form can send neither).
 * 4. The route: only the contract's routes (matchRoute of functions/routes.ts) are forwarded,
 *    and only to the configured API; of the writing ones, only the two rollback routes, and
 *    only when started with --allow-rollback. Everything else is refused here.
 *
 * Answers carry the console's CSP and security headers and never a CORS header.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BASE_PATH, matchRoute } from '../../functions/routes.js';
import { CONSOLE_PATHS, type ConsoleConfig, consoleBuild, SECURITY_HEADERS } from '../../web/assets.js';
import { type Credentials, signRequest } from '../sigv4.js';

/** The cookie that carries the launch token after the first visit. */
export const TOKEN_COOKIE = 'platform_rollback_console';

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
  close(): Promise<void>;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
  }
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
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

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
  response.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  response.end(body);
}

function refuse(response: ServerResponse, refusal: Refusal) {
  send(
    response,
    refusal.status,
    { 'content-type': 'application/problem+json' },
    JSON.stringify({
      type: `urn:platform-rollback:console:${refusal.status}`,
      title: refusal.title,
      status: refusal.status,
      detail: refusal.detail,
    }),
  );
}

/** Starts the console server on 127.0.0.1. */
export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const api = new URL(options.apiUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  let port = options.port;
  const hosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const method = (request.method ?? 'GET').toUpperCase();
    const host = request.headers.host ?? '';
    // 1. Our own Host only: a rebinding attacker's page sends its own name here.
    if (!hosts().has(host)) throw new Refusal(403, 'Forbidden host', 'This console answers only to its own address.');
    const url = new URL(request.url ?? '/', `http://${host}`);

    // 2. The token: once in the URL (then a cookie), else the cookie.
    const fromUrl = url.searchParams.get('token');
    if (fromUrl !== null && url.pathname === CONSOLE_PATHS.page && method === 'GET') {
      if (!sameSecret(fromUrl, token)) throw new Refusal(401, 'Wrong token', 'Open the URL the console printed.');
      send(
        response,
        303,
        {
          location: '/',
          'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          'content-type': 'text/plain',
        },
        'See /',
      );
      return;
    }
    if (!sameSecret(cookie(request, TOKEN_COOKIE), token)) {
      throw new Refusal(401, 'Token required', 'Open the URL the console printed (it carries a per-launch token).');
    }

    // 3. Writes: same origin, JSON only.
    if (method !== 'GET') {
      const origin = request.headers.origin;
      const site = request.headers['sec-fetch-site'];
      const sameOrigin = origin !== undefined ? origin === `http://${host}` : site === 'same-origin';
      if (!sameOrigin || (site !== undefined && site !== 'same-origin')) {
        throw new Refusal(403, 'Cross-origin request', 'Only the console page itself may change anything.');
      }
      if (!/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        throw new Refusal(415, 'JSON only', 'Requests that change state must be application/json.');
      }
    }

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

    // 4. The contract's routes only, to the configured API only; writes only to roll back, only if allowed.
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

  const server: Server = createServer((request, response) => {
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    loginUrl: `${origin}/?token=${token}`,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
