/**
 * The rules every server this project runs on a developer's machine obeys: the local API of
 * `npm start` and the `platform-rollback console` proxy use this module, and DynamoDB Local's
 * launcher (infra/local/dynamodb-local-guard.java) applies the same Host rule, taking the
 * names from `ownHosts`. Any web page the user opens can send requests to 127.0.0.1, so:
 *
 * 1. Loopback only: the server listens on 127.0.0.1, never on every interface.
 * 2. Its own Host only: `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`; a
 *    DNS-rebinding page arrives under its own host name and is refused (403), reads included.
 * 3. Writes (anything but GET, HEAD, OPTIONS) carrying a foreign `Origin`, or a
 *    `Sec-Fetch-Site` other than `same-origin`, are refused (403), bodiless ones included: a
 *    browser sends them on every write a page can make, so a page elsewhere cannot pass.
 * 4. The per-launch token, as an HttpOnly SameSite=Strict cookie named for the port: on every
 *    request where the server serves the page only (the proxy, which signs with the user's
 *    credentials), on every write from a browser where it also serves the machine's own
 *    clients (local mode, unsigned by design: curl, the CLI and scripts send no `Origin` and
 *    need no token). Else 401.
 * 5. A write that needs the token must be `application/json` (an HTML form cannot send it), else 415.
 *
 * Every answer carries the console's CSP and security headers, and never a CORS header. A
 * request the HTTP parser cannot read is answered 400 only after the answers already owed on
 * that connection (a pipelined request after a valid one must not hide the first's answer).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { SECURITY_HEADERS } from './assets.js';

/** The only address these servers listen on. */
export const LOOPBACK = '127.0.0.1';

/** The Host header values a server on `port` answers to. */
export function ownHosts(port: number): ReadonlySet<string> {
  return new Set([`${LOOPBACK}:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

/** A request refused by a rule (or by the server behind it), answered as problem+json. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
  }
}

/** Who a server answers: its page alone, or the page and the machine's non-browser clients too. */
export type Audience = 'page' | 'page-and-clients';

export interface LoopbackGuard {
  /** The launch token (32 random bytes unless given). */
  readonly token: string;
  /** The cookie that carries the token; named for the port, because browsers share cookies across ports. */
  cookieName(): string;
  /** A `Set-Cookie` value that gives the page the token. */
  setCookie(): string;
  /** Whether `given` is the token (in constant time). */
  isToken(given: string | undefined): boolean;
  /** Throws a Refusal unless the request's Host is this server's own (rule 2). */
  checkHost(request: IncomingMessage): void;
  /** Throws a Refusal unless the request passes rules 2 to 5. */
  check(request: IncomingMessage): void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the method can change state. */
const isWrite = (method: string | undefined): boolean => !SAFE_METHODS.has((method ?? 'GET').toUpperCase());

/** Whether a browser sent the request: browsers add Origin to every write and Sec-Fetch-Site to every request. */
export const fromBrowser = (request: Pick<IncomingMessage, 'headers'>): boolean =>
  request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined;

/** A cookie of the request, by name. */
function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * The rules for a server on `port()` (a function: a server asked for port 0 learns its port
 * when it listens). `audience` says who it answers, `token` fixes the launch token (tests).
 */
export function loopbackGuard(options: { port: () => number; audience: Audience; token?: string }): LoopbackGuard {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const cookieName = () => `platform_rollback_${options.port()}`;
  const isToken = (given: string | undefined) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const checkHost = (request: IncomingMessage) => {
    if (!ownHosts(options.port()).has(request.headers.host ?? '')) {
      throw new Refusal(
        403,
        'Forbidden host',
        `This server answers only to its own address (${LOOPBACK}:${options.port()}).`,
      );
    }
  };
  return {
    token,
    cookieName,
    setCookie: () => `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    isToken,
    checkHost,
    check(request) {
      checkHost(request);
      const host = request.headers.host ?? '';
      const write = isWrite(request.method);
      const browser = fromBrowser(request);
      if (write && browser) {
        const origin = request.headers.origin;
        const site = request.headers['sec-fetch-site'];
        if ((origin !== undefined && origin !== `http://${host}`) || (site !== undefined && site !== 'same-origin')) {
          throw new Refusal(403, 'Cross-origin request', 'Only the page this server serves may change anything.');
        }
      }
      // The page alone: a write must come from it (a browser's same-origin request).
      if (options.audience === 'page' && write && !browser) {
        throw new Refusal(403, 'Cross-origin request', 'Only the page this server serves may change anything.');
      }
      const needsToken = options.audience === 'page' || (write && browser);
      if (!needsToken) return;
      if (!isToken(cookieOf(request, cookieName()))) {
        throw new Refusal(401, 'Token required', 'Open the page this server serves (it carries a per-launch token).');
      }
      if (write && !/^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')) {
        throw new Refusal(415, 'JSON only', 'Requests that change state must be application/json.');
      }
    },
  };
}

/** Writes an answer with the security headers every answer carries (and no CORS header). */
export function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer | Uint8Array,
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  response.end(body);
}

/** A refusal as problem+json. */
export function refuse(response: ServerResponse, refusal: Refusal): void {
  send(response, refusal.status, { 'content-type': 'application/problem+json' }, problemBody(refusal));
}

function problemBody(refusal: Refusal): string {
  return JSON.stringify({
    type: `urn:platform-rollback:local:${refusal.status}`,
    title: refusal.title,
    status: refusal.status,
    detail: refusal.detail,
  });
}

/** What a connection-level error is answered with: status, reason phrase (also the title), detail. */
const CLIENT_ERRORS: Record<string, [number, string, string]> & { default: [number, string, string] } = {
  default: [400, 'Bad Request', 'The request could not be parsed as HTTP/1.1.'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request did not arrive in time.'],
};

/**
 * An HTTP server whose unreadable requests wait for the answers owed before them. Node.js's
 * default answers a parse error at once and destroys the connection, so a client that sent a
 * valid POST and then garbage on the same connection read only "400 Bad Request" while its
 * POST was carried out.
 */
export function loopbackServer(listener: RequestListener): Server {
  const owed = new WeakMap<Socket, Set<ServerResponse>>();
  const server = createServer((request, response) => {
    const socket = request.socket;
    const open = owed.get(socket) ?? new Set<ServerResponse>();
    owed.set(socket, open);
    open.add(response);
    response.once('close', () => open.delete(response));
    listener(request, response);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answer = () => {
      if (!socket.writable) return socket.destroy();
      const [status, reason, detail] = CLIENT_ERRORS[error.code ?? ''] ?? CLIENT_ERRORS.default;
      const body = problemBody(new Refusal(status, reason, detail));
      const headers = { ...SECURITY_HEADERS, 'content-type': 'application/problem+json', connection: 'close' };
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    const open = owed.get(socket);
    if (!open || open.size === 0) return answer();
    // Answer once the last owed response is written.
    for (const response of open) response.once('close', () => open.size === 0 && answer());
  });
  return server;
}

/** Listens on 127.0.0.1 (`port` 0: any free one); resolves with the port. */
export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}
