/**
 * History cursors: opaque to clients, bound to the query they came from, and signed. A cursor
 * carries the position of the last item served plus the environment and status filter it was
 * made for, followed by an HMAC-SHA-256 tag over that body, keyed by a secret only the service
 * holds. So a cursor that was altered (one character is enough), hand-crafted, or made with
 * another key is a 400, and one replayed against another query is a 400 too, never a page of
 * somebody else's data or a read from a position the service never handed out.
 *
 * Format: `<base64url JSON body>.<base64url tag>`; both parts and the dot are URL-safe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** 16 bytes of the 32-byte HMAC: 128 bits is far beyond guessing, and the cursor stays short. */
const TAG_BYTES = 16;
/** Domain separation: this key signs history cursors and nothing else. */
const TAG_CONTEXT = 'platform-rollback/history-cursor/v1\n';
const PART = /^[A-Za-z0-9_-]+$/;

/**
 * The tag is computed over the body exactly as written (its base64url text), and compared as
 * text: base64url decoding ignores the spare low bits of a last character, so comparing the
 * decoded bytes would accept a cursor whose last character was changed.
 */
function tagOf(body: string, key: string): string {
  return createHmac('sha256', key)
    .update(TAG_CONTEXT)
    .update(body)
    .digest()
    .subarray(0, TAG_BYTES)
    .toString('base64url');
}

/** In constant time, so the time taken says nothing about how much of a forged tag was right. */
function sameTag(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cursor for the page after `last`, for this environment and filter, signed with `key`. */
export function encodeCursor(environment: string, status: string | undefined, last: Position, key: string): string {
  const body: CursorBody = { v: 1, e: environment, s: status ?? null, at: last.deployedAt, id: last.id };
  const encoded = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${encoded}.${tagOf(encoded, key)}`;
}

const invalid = (message: string) => new InvalidInputError([{ field: 'cursor', message }]);
const notIssued = () => invalid('is not a cursor this service issued');

/**
 * The position a cursor stands for. Checks the tag before reading anything in the body, then
 * that the body is well formed, then that it was made for this environment and filter.
 */
export function decodeCursor(cursor: string, environment: string, status: string | undefined, key: string): Position {
  const [encoded = '', tag = '', ...rest] = cursor.split('.');
  if (rest.length > 0 || !PART.test(encoded) || !PART.test(tag) || !sameTag(tag, tagOf(encoded, key))) {
    throw notIssued();
  }
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw notIssued();
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
    throw notIssued();
  }
  if (body.e !== environment || (body.s ?? undefined) !== status) {
    throw invalid('belongs to another query; repeat the same environment and status filter');
  }
  return { deployedAt: body.at, id: body.id };
}
