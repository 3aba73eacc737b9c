import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNotification } from '../../functions/core/chat-notification.js';
import { BASE, localApi } from '../support/http.js';

/**
 * Local mode writes what chat would show: a rollback run started over HTTP against
 * `npm start`'s stack (a command redeploy target) yields, in .local/chat-notifications.jsonl
 * and at GET /_local/chat-notifications, valid custom notifications that read as one thread.
 */

const SCHEMA = JSON.parse(readFileSync(new URL('../support/custom-notification.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ strict: true }).compile(SCHEMA);
let dir: string;
let api: Awaited<ReturnType<typeof localApi>>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'chat-e2e-'));
  api = await localApi({
    notifications: { file: path.join(dir, 'notifications.jsonl'), log: () => {} },
    redeployTargets: { prod: { via: 'command', command: 'true', pollSeconds: 1 } },
  });
});
afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('local mode: chat notifications', () => {
  it('a rollback run yields a thread of chat messages with the run id as threadId, beside the JSON ones', async () => {
    await api.call('POST', BASE, { environment: 'prod', imageTag: 'v1.0.0-aaa1111' });
    const v2 = (await api.call('POST', BASE, { environment: 'prod', imageTag: 'v2.0.0-bbb2222' })).body;
    const started = await api.call('POST', `${BASE}/rollbacks`, { environment: 'prod', reason: '5xx after v2' });
    expect(started.status).toBe(202);
    const runId: string = started.body.id;
    const run = await until(
      async () => (await api.call('GET', `${BASE}/rollbacks/${runId}`)).body,
      (r) => r.status !== 'RUNNING',
    );
    expect(run.status).toBe('SUCCEEDED');

    const chat = await until(
      async () => (await api.call('GET', '/_local/chat-notifications')).body as ChatNotification[],
      (messages) => messages.some((m) => m.metadata.eventType === 'ROLLBACK_SUCCEEDED'),
    );
    for (const message of chat) expect(validate(message), JSON.stringify(validate.errors)).toBe(true);
    const thread = chat.filter((m) => m.metadata.threadId === runId);
    expect(thread.map((m) => m.metadata.eventType)).toEqual(['ROLLBACK_STARTED', 'ROLLBACK_SUCCEEDED']);
    expect(thread[0]?.content.title).toBe('⏪ [prod] Rollback run started: v2.0.0-bbb2222 → v1.0.0-aaa1111');
    expect(thread[0]?.content.nextSteps).toContain(`Follow it: \`npx platform-rollback run ${runId}\``);
    expect(thread[0]?.content.description).toContain('*Redeploy via:* the local deploy command');
    expect(thread[1]?.content.title).toBe('✅ [prod] Rolled back to v1.0.0-aaa1111: healthy');
    expect(thread[1]?.content.description).toContain('`prod` runs `v1.0.0-aaa1111` again');
    // The run's mark step rolled v2 back: that message threads by the deployment.
    const rolledBack = chat.find((m) => m.metadata.eventType === 'DEPLOYMENT_ROLLED_BACK');
    expect(rolledBack?.metadata.threadId).toBe(v2.id);
    expect(rolledBack?.content.description).toContain('5xx after v2');

    // The file holds exactly what the route serves, newest last; the rollback topic's file the same events as JSON.
    const lines = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    expect(api.chatNotificationsFile).toBe(path.join(dir, 'chat-notifications.jsonl'));
    expect(lines(api.chatNotificationsFile ?? '')).toEqual(chat);
    const json = (await api.call('GET', '/_local/notifications')).body as { message: { eventId: string } }[];
    expect(json.map((n) => n.message.eventId)).toEqual(chat.map((m) => m.id));
  });
});
