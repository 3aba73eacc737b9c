import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { alarmCommand } from '../support/alarm.js';
import { answerOf, assertDocumented } from '../support/openapi.js';

const BASE = '/api/v1/platform/deployments';
let dir: string;
let stack: LocalStack;
let alarm: ReturnType<typeof alarmCommand>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'alarm-e2e-'));
  stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `alarm-e2e-${randomUUID().slice(0, 8)}`,
    notifications: { file: path.join(dir, 'notifications.jsonl'), log: () => {} },
  });
  alarm = alarmCommand(stack, dir);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, url: string, body?: unknown) {
  const response = await fetch(`${stack.url}${url}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  assertDocumented(answerOf(method, new URL(url, stack.url).pathname, response, text));
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  return { status: response.status, body: JSON.parse(text) as any };
}

async function notificationsUntil(count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // The alarm path's messages: readiness's own (the refresh runs beside it) are readiness-local.test.ts's.
    const body = (await call('GET', '/_local/notifications')).body.filter(
      (n: { messageAttributes: { eventType: string } }) =>
        !n.messageAttributes.eventType.startsWith('ROLLBACK_READINESS'),
    );
    if (body.length >= count || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('local mode: an alarm fired with npm run alarm', () => {
  it('rolls back the current deployment, the history shows it, and the notifications appear', async () => {
    const v1 = await call('POST', BASE, { environment: 'prod', imageTag: 'v1.0.0-aaa1111' });
    const v2 = await call('POST', BASE, { environment: 'prod', imageTag: 'v2.0.0-bbb2222' });
    await call('POST', BASE, { environment: 'staging', imageTag: 'v9.0.0' });
    expect([v1.status, v2.status]).toEqual([201, 201]);

    const out = await alarm('--environment', 'prod');
    expect(out).toContain('Alarm prod-api-5xx → ALARM (lambda shape), mapped to prod:');
    expect(out).toContain(`rolled back v2.0.0-bbb2222 (${v2.body.id}); redeploy requested: v1.0.0-aaa1111`);
    expect(out).toMatch(/v2\.0\.0-bbb2222\s+ROLLED_BACK\s+auto-rollback:prod-api-5xx/);
    expect(out).toMatch(/DEPLOYMENT_ROLLED_BACK\s+\[prod\] v2\.0\.0-bbb2222 rolled back/);
    expect(out).toMatch(/ROLLBACK_REQUESTED\s+\[prod\] redeploy v1\.0\.0-aaa1111 to replace v2\.0\.0-bbb2222/);

    const history = await call('GET', `${BASE}/history?environment=prod`);
    expect(history.body.items.map((r: { imageTag: string; status: string }) => [r.imageTag, r.status])).toEqual([
      ['v2.0.0-bbb2222', 'ROLLED_BACK'],
      ['v1.0.0-aaa1111', 'DEPLOYED'],
    ]);
    expect(history.body.items[0]).toMatchObject({ rolledBackBy: 'auto-rollback:prod-api-5xx' });
    expect((await call('GET', `${BASE}/history?environment=staging`)).body.items[0].status).toBe('DEPLOYED');

    const notifications = await notificationsUntil(3);
    expect(notifications).toHaveLength(3);
    // The rollback, the pipeline's redeploy, and the hold the same write put on prod.
    expect(notifications.map((n: { messageAttributes: unknown }) => n.messageAttributes)).toEqual([
      { eventType: 'DEPLOYMENT_ROLLED_BACK', environment: 'prod' },
      { eventType: 'ROLLBACK_REQUESTED', environment: 'prod' },
      { eventType: 'ENVIRONMENT_HELD', environment: 'prod' },
    ]);
    expect(notifications[1].message).toMatchObject({
      version: 1,
      targetImageTag: 'v1.0.0-aaa1111',
      current: { id: v2.body.id, status: 'ROLLED_BACK' },
      target: { id: v1.body.id },
    });
    // The file holds the same lines the endpoint serves.
    const lines = readFileSync(stack.notificationsFile ?? '', 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(notifications);
  });

  it('a second alarm (SNS shape) finds it rolled back: no rollback, one AUTO_ROLLBACK_SKIPPED', async () => {
    const out = await alarm('--environment', 'prod', '--shape', 'sns');
    expect(out).toMatch(/skipped: v2\.0\.0-bbb2222 \(\w+\) is already rolled back/);
    const notifications = await notificationsUntil(4);
    expect(notifications).toHaveLength(4);
    expect(notifications[3]).toMatchObject({
      messageAttributes: { eventType: 'AUTO_ROLLBACK_SKIPPED', environment: 'prod' },
      message: { reason: expect.stringMatching(/already rolled back/) },
    });
  });

  it('an OK state (EventBridge shape) changes nothing', async () => {
    const out = await alarm('--environment', 'staging', '--shape', 'eventbridge', '--state', 'OK');
    expect(out).toContain('ignored: state OK is not ALARM');
    expect((await call('GET', `${BASE}/history?environment=staging`)).body.items[0].status).toBe('DEPLOYED');
  });
});
