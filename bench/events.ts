/**
 * API Gateway payload 2.0 events for in-process handler calls, made by the local server's own
 * `toEvent` from a synthetic request, so a benchmarked handler sees exactly what it sees
 * behind `npm start` (and, field for field, behind API Gateway).
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { HttpEvent } from '../functions/lib/http.js';
import { matchRoute } from '../functions/routes.js';
import { toEvent } from '../infra/local/server.js';

const socket = new Socket();

/** The event for `method pathAndQuery` with an optional JSON body; throws for a path no route serves. */
export function httpEvent(
  method: string,
  pathAndQuery: string,
  body?: unknown,
  headers: Record<string, string> = {},
): HttpEvent {
  const raw = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const request = new IncomingMessage(socket);
  request.method = method;
  request.url = pathAndQuery;
  request.httpVersion = '1.1';
  request.headers = {
    host: 'localhost',
    'user-agent': 'bench',
    ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(raw.length) }),
    ...headers,
  };
  const match = matchRoute(method, new URL(pathAndQuery, 'http://localhost').pathname);
  return toEvent(
    request,
    raw,
    match.kind === 'route' ? match.route : undefined,
    match.kind === 'route' ? match.params : {},
  );
}

/** A record body shaped like the contract's example, for the calls that record deployments. */
export const SAMPLE_RECORD = {
  imageTag: 'v3.0.0-abc1234',
  version: 'v3.0.0',
  commitSha: 'abc1234',
  notes: 'Adds the invoices view',
  migrations: [{ id: '0042_add_invoice_index', reversible: true }],
  pipelineRunUrl: 'https://ci.example.com/runs/42',
};
