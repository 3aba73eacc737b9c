/**
 * ULIDs, the ids of records and runs: 10 characters of time (milliseconds since the epoch, 48
 * bits) then 16 of randomness (80 bits), in Crockford's base32, so ids sort by creation time.
 * Monotonic: ids made in the same millisecond by one process increment the random part, so
 * they sort in the order they were made. A few lines here rather than a dependency, which
 * would add its own code to every function's cold start for the same result.
 */
import { randomBytes } from 'node:crypto';
import { ULID_PATTERN } from '../core/schemas.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
const MAX_TIME = 2 ** 48 - 1;

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0, rest = ms; i < TIME_LENGTH; i++, rest = Math.floor(rest / 32)) out = ALPHABET[rest % 32] + out;
  return out;
}

/** 16 random base32 digits (a byte modulo 32 is uniform: 256 is a multiple of 32). */
function randomDigits(): number[] {
  return [...randomBytes(RANDOM_LENGTH)].map((byte) => byte % 32);
}

/** Adds one to the digits, as one base32 number; throws on overflow (2^80 ids in one ms). */
function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if ((digits[i] as number) < 31) {
      digits[i] = (digits[i] as number) + 1;
      return;
    }
    digits[i] = 0;
  }
  throw new Error('ULID random part overflowed within one millisecond');
}

/** A generator of monotonic ULIDs; `now` is the clock (milliseconds), injectable for tests. */
export function monotonicUlid(now: () => number = Date.now): () => string {
  let lastTime = -1;
  let digits: number[] = [];
  return () => {
    const time = now();
    if (!Number.isInteger(time) || time < 0 || time > MAX_TIME) throw new Error(`ULID time out of range: ${time}`);
    if (time <= lastTime) increment(digits);
    else {
      lastTime = time;
      digits = randomDigits();
    }
    return encodeTime(lastTime) + digits.map((d) => ALPHABET[d]).join('');
  };
}

/** The time (milliseconds since the epoch) a ULID was made; throws for a malformed id. */
export function ulidTime(id: string): number {
  if (!ULID_PATTERN.test(id)) throw new Error(`not a ULID: ${id}`);
  let ms = 0;
  for (const char of id.slice(0, TIME_LENGTH)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

/** This process's generator: one, so that every id the process makes sorts in the order made. */
export const newUlid = /* @__PURE__ */ monotonicUlid();
