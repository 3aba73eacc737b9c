/**
 * History cursors: opaque to clients, bound to the query they came from. A cursor carries the
 * position of the last item served plus the environment and status filter it was made for,
 * so a cursor replayed against another query, or one that was altered, is a 400, not a page
 * of somebody else's data.
 */
import { InvalidInputError } from './errors.js';
import type { Position } from './ports.js';
import { ULID_PATTERN } from './schemas.js';

interface CursorBody {
  v: 1;
  e: string;
  s: string | null;
  at: string;
  id: string;
}

export function encodeCursor(environment: string, status: string | undefined, last: Position): string {
  const body: CursorBody = { v: 1, e: environment, s: status ?? null, at: last.deployedAt, id: last.id };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

const invalid = (message: string) => new InvalidInputError([{ field: 'cursor', message }]);

export function decodeCursor(cursor: string, environment: string, status: string | undefined): Position {
  let body: Partial<CursorBody>;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('alphabet');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor this service issued');
  }
  if (
    body === null ||
    typeof body !== 'object' ||
    body.v !== 1 ||
    typeof body.at !== 'string' ||
    typeof body.id !== 'string' ||
    !ULID_PATTERN.test(body.id) ||
    Number.isNaN(Date.parse(body.at)) ||
    new Date(body.at).toISOString() !== body.at
  ) {
    throw invalid('is not a cursor this service issued');
  }
  if (body.e !== environment || (body.s ?? undefined) !== status) {
    throw invalid('belongs to another query; repeat the same environment and status filter');
  }
  return { deployedAt: body.at, id: body.id };
}
