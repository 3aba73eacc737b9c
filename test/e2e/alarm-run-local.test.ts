/**
 * `npm run alarm` against a local stack with a redeploy target, wired as deployed: the alarm
 * starts a rollback run (not ROLLBACK_REQUESTED) where the environment has a target, the
 * stack's run host carries it out, and the command follows it step by step. An environment
 * without a target is rolled back and the pipeline asked to redeploy, as before.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { alarmCommand } from '../support/alarm.js';
import { BASE } from '../support/http.js';
import { callLog } from '../support/runs.js';

const calls = callLog();
let dir: string;
let stack: LocalStack;
let alarm: ReturnType<typeof alarmCommand>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'alarm-run-e2e-'));
  stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `alarm-run-${randomUUID().slice(0, 8)}`,
    notifications: { file: path.join(dir, 'notifications.jsonl'), log: () => {} },
    redeployTargets: { prod: calls.target },
  });
  alarm = alarmCommand(stack, dir);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
async function get(url: string): Promise<any> {
  return (await fetch(`${stack.url}${url}`)).json();
}
async function deploy(environment: string, imageTag: string): Promise<{ id: string }> {
  const response = await fetch(`${stack.url}${BASE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ environment, imageTag }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

async function eventsUntil(count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // The alarm path's messages: readiness's own (the refresh runs beside it) are readiness-local.test.ts's.
    const lines = ((await get('/_local/notifications')) as { messageAttributes: { eventType: string } }[]).filter(
      (n) => !n.messageAttributes.eventType.startsWith('ROLLBACK_READINESS'),
    );
    if (lines.length >= count || Date.now() > deadline) return lines.map((n) => n.messageAttributes.eventType);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm run alarm, local mode wired as deployed', () => {
  it('starts a rollback run where the environment has a redeploy target, and follows it to its end', async () => {
    const v1 = await deploy('prod', 'v1.0.0');
    const v2 = await deploy('prod', 'v2.0.0');
    const out = await alarm('--environment', 'prod');
    const runId = /rollback run (\w{26}) started/.exec(out)?.[1];
    expect(runId, out).toBeDefined();
    expect(out).not.toContain('redeploy requested');
    expect(out).toMatch(/identify\s+SUCCEEDED roll back v2\.0\.0/);
    expect(out).toMatch(/mark\s+SUCCEEDED v2\.0\.0 \(\w+\) is ROLLED_BACK/);
    expect(out).toMatch(/redeploy\s+SUCCEEDED command exited 0/);
    expect(out).toMatch(/verify\s+SKIPPED/);
    const ended = new RegExp(`run ${runId} SUCCEEDED; redeploy record (\\w{26})`).exec(out);
    expect(ended, out).not.toBeNull();
    expect(calls.lines()).toEqual(['v1.0.0']);

    const runView = await get(`${BASE}/rollbacks/${runId}`);
    expect(runView).toMatchObject({
      status: 'SUCCEEDED',
      trigger: 'alarm',
      requestedBy: 'auto-rollback:prod-api-5xx',
      current: { id: v2.id },
      target: { id: v1.id },
    });
    const history = (await get(`${BASE}/history?environment=prod`)).items;
    expect(history.map((r: { imageTag: string; status: string }) => `${r.imageTag} ${r.status}`)).toEqual([
      'v1.0.0 DEPLOYED',
      'v2.0.0 ROLLED_BACK',
      'v1.0.0 DEPLOYED',
    ]);
    expect(history[0]).toMatchObject({ id: ended?.[1], rollbackOf: v2.id });
    expect(await eventsUntil(4)).toEqual([
      'ROLLBACK_STARTED',
      'DEPLOYMENT_ROLLED_BACK',
      'ENVIRONMENT_HELD',
      'ROLLBACK_SUCCEEDED',
    ]);
    expect(out).toMatch(/ROLLBACK_SUCCEEDED\s+\[prod\]/);
  });

  it('rolls back and asks the pipeline to redeploy where the environment has no target, as before', async () => {
    await deploy('staging', 'v1.0.0');
    const v2 = await deploy('staging', 'v2.0.0');
    const out = await alarm('--environment', 'staging');
    expect(out).toContain(`rolled back v2.0.0 (${v2.id}); redeploy requested: v1.0.0`);
    expect(out).not.toContain('rollback run');
    expect((await eventsUntil(7)).slice(4)).toEqual([
      'DEPLOYMENT_ROLLED_BACK',
      'ROLLBACK_REQUESTED',
      'ENVIRONMENT_HELD',
    ]);
    expect(calls.lines()).toEqual(['v1.0.0']);
  });
});
