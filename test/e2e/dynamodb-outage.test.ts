import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DYNAMODB_TIMEOUTS } from '../../functions/adapters/aws.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { BASE } from '../support/http.js';

// A private emulator: this file freezes it, which must not stall the rest of the run.
let db: DynamoDbLocal;
let stack: LocalStack;
beforeAll(async () => {
  db = await startDynamoDbLocal();
  stack = await startLocalStack({ dynamodbEndpoint: db.endpoint, tableName: 'outage' });
});
afterAll(async () => {
  process.kill(db.pid, 'SIGCONT');
  await stack?.stop();
  await db?.stop();
});

/** The API functions' Lambda timeout (ServiceFunction's default): the answer must come before it. */
const LAMBDA_TIMEOUT_MS = 10_000;

async function post(body: unknown, key: string) {
  const started = Date.now();
  const response = await fetch(`${stack.url}${BASE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
  return { response, body: (await response.json()) as any, ms: Date.now() - started };
}

async function history() {
  const response = await fetch(`${stack.url}${BASE}/history?environment=prod&limit=100`);
  return (await response.json()) as { items: { id: string; imageTag: string }[] };
}

describe('a frozen DynamoDB (SIGSTOP on the emulator)', () => {
  it('is a 503 with Retry-After inside the Lambda timeout, and the retried write lands once', async () => {
    const body = { environment: 'prod', imageTag: 'v2-frozen' };
    expect((await post({ environment: 'prod', imageTag: 'v1' }, 'warm-up')).response.status).toBe(201);

    process.kill(db.pid, 'SIGSTOP');
    let frozen: Awaited<ReturnType<typeof post>>;
    let read: Response;
    let readMs: number;
    try {
      frozen = await post(body, 'key-frozen-1');
      const started = Date.now();
      read = await fetch(`${stack.url}${BASE}/history?environment=prod`, { signal: AbortSignal.timeout(60_000) });
      readMs = Date.now() - started;
    } finally {
      process.kill(db.pid, 'SIGCONT');
    }

    expect(frozen.response.status).toBe(503);
    expect(frozen.response.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(frozen.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(frozen.body).toMatchObject({ status: 503, title: 'Service temporarily unavailable' });
    expect(JSON.stringify(frozen.body)).not.toMatch(/TimeoutError|at .*\.js/);
    // At least one full attempt's timeout (so the bound is what ended it), and before Lambda's.
    expect(frozen.ms).toBeGreaterThanOrEqual(DYNAMODB_TIMEOUTS.requestTimeoutMs);
    expect(frozen.ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
    expect(read.status).toBe(503);
    expect(readMs).toBeLessThan(LAMBDA_TIMEOUT_MS);

    // The emulator now works through what was sent while it was frozen; then the caller retries.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const retried = await post(body, 'key-frozen-1');
    expect(retried.response.status).toBe(201);
    const again = await post(body, 'key-frozen-1');
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(retried.body.id);

    const landed = (await history()).items.filter((r) => r.imageTag === 'v2-frozen');
    expect(landed.map((r) => r.id)).toEqual([retried.body.id]);
  });
});
