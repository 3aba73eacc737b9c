import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCursorKey } from '../../functions/adapters/cursor-key.js';
import { decodeCursor, encodeCursor } from '../../functions/core/cursor.js';
import { InvalidInputError } from '../../functions/core/errors.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { listHistory } from '../../functions/core/use-cases/list-history.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { ConfigError, readConfig } from '../../functions/lib/config.js';
import { memoryPorts, TEST_CURSOR_KEY } from '../support/memory-store.js';

/**
 * History cursors are signed: any change to one, a hand-made one, or one signed with another
 * key is the contract's 400 on `cursor`; a genuine one still pages.
 */

const KEY = TEST_CURSOR_KEY;
const OTHER_KEY = 'another-deployment-s-cursor-key-0123456789';
const LAST = { deployedAt: '2026-11-27T10:00:03.000Z', id: '01JDQ5T2M80000000000000003' };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NOT_ISSUED = 'is not a cursor this service issued';

/** Asserts the contract's 400: an InvalidInputError on `cursor` with `message`. */
function expectRefused(run: () => unknown, message = NOT_ISSUED) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  expect((caught as InvalidInputError).status).toBe(400);
  expect((caught as InvalidInputError).errors).toEqual([{ field: 'cursor', message }]);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('a history cursor', () => {
  const genuine = encodeCursor('prod', 'DEPLOYED', LAST, KEY);

  it('is URL-safe, and decodes to its position for the same query and key', () => {
    expect(genuine).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(decodeCursor(genuine, 'prod', 'DEPLOYED', KEY)).toEqual(LAST);
  });

  it('with any one character changed, at any position to any other character, is a 400', () => {
    let tried = 0;
    for (let i = 0; i < genuine.length; i++) {
      for (const c of `${BASE64URL}.`) {
        if (c === genuine[i]) continue;
        const altered = genuine.slice(0, i) + c + genuine.slice(i + 1);
        expectRefused(() => decodeCursor(altered, 'prod', 'DEPLOYED', KEY));
        tried++;
      }
    }
    expect(tried).toBe(genuine.length * BASE64URL.length);
  });

  it('cut short, extended, or with its tag dropped, is a 400', () => {
    const [body = '', tag = ''] = genuine.split('.');
    for (const bad of [
      body,
      `${body}.`,
      `.${tag}`,
      genuine.slice(0, -1),
      `${genuine}A`,
      `${genuine}.${tag}`,
      `${body}A.${tag}`,
      '',
      '.',
    ]) {
      expectRefused(() => decodeCursor(bad, 'prod', 'DEPLOYED', KEY));
    }
  });

  it('hand-crafted, well formed and for the right query but without the right tag, is a 400', () => {
    const body = b64({ v: 1, e: 'prod', s: 'DEPLOYED', at: LAST.deployedAt, id: LAST.id });
    expectRefused(() => decodeCursor(body, 'prod', 'DEPLOYED', KEY));
    for (let n = 0; n < 50; n++) {
      const tag = randomBytes(16).toString('base64url');
      expectRefused(() => decodeCursor(`${body}.${tag}`, 'prod', 'DEPLOYED', KEY));
    }
    // The genuine tag on a forged body (another position in the same history).
    const [, genuineTag] = genuine.split('.');
    const forged = b64({ v: 1, e: 'prod', s: 'DEPLOYED', at: '2030-01-01T00:00:00.000Z', id: LAST.id });
    expectRefused(() => decodeCursor(`${forged}.${genuineTag}`, 'prod', 'DEPLOYED', KEY));
  });

  it('made with another key is a 400', () => {
    const foreign = encodeCursor('prod', 'DEPLOYED', LAST, OTHER_KEY);
    expect(foreign).not.toBe(genuine);
    expectRefused(() => decodeCursor(foreign, 'prod', 'DEPLOYED', KEY));
    expect(decodeCursor(foreign, 'prod', 'DEPLOYED', OTHER_KEY)).toEqual(LAST);
  });

  it('genuine but from another environment or filter is still a 400 naming the query', () => {
    const other = 'belongs to another query; repeat the same environment and status filter';
    expectRefused(() => decodeCursor(genuine, 'staging', 'DEPLOYED', KEY), other);
    expectRefused(() => decodeCursor(genuine, 'prod', undefined, KEY), other);
    expectRefused(() => decodeCursor(genuine, 'prod', 'FAILED', KEY), other);
  });
});

describe('listHistory with signed cursors', () => {
  async function history(count: number) {
    const { ports, advance } = memoryPorts();
    for (let i = 0; i < count; i++) {
      const body = { environment: 'prod', imageTag: `v${i}`, status: 'DEPLOYED' };
      await recordDeployment(ports, RecordDeploymentInput.parse(body), { by: 'arn:aws:iam::123456789012:user/ci' });
      advance(1000);
    }
    return ports;
  }

  it('pages through with genuine cursors, newest first, no gap and no repeat', async () => {
    const ports = await history(5);
    const tags: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listHistory(ports, { environment: 'prod', limit: 2, cursor });
      tags.push(...page.items.map((r) => r.imageTag));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(tags).toEqual(['v4', 'v3', 'v2', 'v1', 'v0']);
  });

  it('refuses its own cursor once altered, and one issued under another key', async () => {
    const ports = await history(3);
    const { nextCursor } = await listHistory(ports, { environment: 'prod', limit: 1 });
    const cursor = nextCursor ?? '';
    expect(cursor).toContain('.');
    const flipped = `${cursor[0] === 'A' ? 'B' : 'A'}${cursor.slice(1)}`;
    await expect(listHistory(ports, { environment: 'prod', limit: 1, cursor: flipped })).rejects.toMatchObject({
      status: 400,
      errors: [{ field: 'cursor', message: NOT_ISSUED }],
    });
    await expect(
      listHistory({ ...ports, cursorKey: OTHER_KEY }, { environment: 'prod', limit: 1, cursor }),
    ).rejects.toMatchObject({ status: 400, errors: [{ field: 'cursor', message: NOT_ISSUED }] });
    const page = await listHistory(ports, { environment: 'prod', limit: 1, cursor });
    expect(page.items.map((r) => r.imageTag)).toEqual(['v1']);
  });
});

describe('CURSOR_KEY', () => {
  const base = { TABLE_NAME: 't' };

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('is optional for readConfig (the other functions run without it), required by loadCursorKey', async () => {
    const config = readConfig(base);
    expect(config.cursorKey).toBeUndefined();
    await expect(loadCursorKey(config)).rejects.toThrow(ConfigError);
    await expect(loadCursorKey(config)).rejects.toThrow(/CURSOR_KEY is required/);
    const key = 'k'.repeat(48);
    expect(await loadCursorKey(readConfig({ ...base, CURSOR_KEY: key }))).toBe(key);
  });

  it('is refused when shorter than 32 characters', () => {
    expect(() => readConfig({ ...base, CURSOR_KEY: 'short' })).toThrow(/CURSOR_KEY must be at least 32 characters/);
  });

  it('missing: the ListHistory handler fails at import (the cold start); another route handler does not', async () => {
    vi.stubEnv('TABLE_NAME', 'deployments');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('CURSOR_KEY', '');
    await expect(import('../../functions/http/list-history.js')).rejects.toThrow(/CURSOR_KEY is required/);
    vi.resetModules();
    const other = await import('../../functions/http/tag-exists.js');
    expect(other.handler).toEqual(expect.any(Function));
    vi.resetModules();
    vi.stubEnv('CURSOR_KEY', TEST_CURSOR_KEY);
    const history = await import('../../functions/http/list-history.js');
    expect(history.handler).toEqual(expect.any(Function));
  });
});
