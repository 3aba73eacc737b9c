import { decodeTime, ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { monotonicUlid, ulidTime } from '../../functions/adapters/ulid.js';
import { ULID_PATTERN } from '../../functions/core/schemas.js';

describe('ULIDs (functions/adapters/ulid.ts)', () => {
  it('encodes the time as the ulid package does, and reads it back', () => {
    const at = Date.UTC(2026, 10, 29, 10, 0, 0, 123);
    const id = monotonicUlid(() => at)();
    expect(id).toMatch(ULID_PATTERN);
    expect(id.slice(0, 10)).toBe(ulid(at).slice(0, 10));
    expect(ulidTime(id)).toBe(at);
    expect(decodeTime(id)).toBe(at);
    expect(ulidTime(ulid(at))).toBe(at);
  });

  it('sorts ids of one millisecond, and of a clock that steps back, in the order they were made', () => {
    const clock = [1_000, 1_000, 1_000, 999, 1_001];
    const next = monotonicUlid(() => clock.shift() as number);
    const ids = Array.from({ length: 5 }, next);
    expect(new Set(ids).size).toBe(5);
    expect([...ids].sort()).toEqual(ids);
    expect(ids.slice(0, 4).map(ulidTime)).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(ulidTime(ids[4] as string)).toBe(1_001);
  });

  it('draws a fresh random part each millisecond', () => {
    let t = 5_000;
    const next = monotonicUlid(() => t++);
    const randoms = new Set(Array.from({ length: 50 }, () => next().slice(10)));
    expect(randoms.size).toBe(50);
  });

  it('refuses a time out of range and a malformed id', () => {
    expect(() => monotonicUlid(() => -1)()).toThrow(/out of range/);
    expect(() => monotonicUlid(() => 2 ** 48)()).toThrow(/out of range/);
    expect(() => ulidTime('not-a-ulid')).toThrow(/not a ULID/);
  });
});
