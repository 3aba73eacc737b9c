import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alarmConsoleUrl,
  CHAT_LIMITS,
  type ChatNotification,
  clip,
  plain,
  renderChat,
} from '../../functions/core/chat-notification.js';
import {
  EVENT_TYPES,
  type ReadinessLost,
  type RollbackMessage,
  type RunMessage,
} from '../../functions/core/notifications.js';
import type { RedeployTargets } from '../../functions/core/redeploy/targets.js';
import { ALARM, BAD, MESSAGES, TARGETS } from '../support/chat-fixtures.js';

/** The custom notification format, written from AWS's documentation (see its $comment). */
const SCHEMA = JSON.parse(readFileSync(new URL('../support/custom-notification.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(SCHEMA);
/** SNS's limit for a message, which the chat rendering travels in. */
const SNS_MAX_BYTES = 256 * 1024;

/** Fails with ajv's words when `chat` is not a valid custom notification of SNS's size. */
function expectValid(chat: ChatNotification) {
  const valid = validate(chat);
  expect(validate.errors ?? [], JSON.stringify(chat).slice(0, 300)).toEqual([]);
  expect(valid).toBe(true);
  expect(Buffer.byteLength(JSON.stringify(chat))).toBeLessThanOrEqual(SNS_MAX_BYTES);
  // Ours beyond the schema: every rendering says what happened, has something to do and a thread.
  expect(chat.content.title).not.toBe('');
  expect(chat.content.nextSteps.length).toBeGreaterThan(0);
  expect(chat.metadata.threadId).not.toBe('');
}

const codePoints = (s: string) => Array.from(s).length;
const render = (message: RollbackMessage, targets: RedeployTargets = TARGETS) => renderChat(message, { targets });

describe('the JSON schema of the custom notification format', () => {
  it('refuses what Amazon Q would drop: a wrong version or source, no description, a title or step over its size', () => {
    const good = render(MESSAGES.ROLLBACK_FAILED);
    expect(validate(good)).toBe(true);
    const broken = (change: (c: ChatNotification) => void) => {
      const copy = structuredClone(good);
      change(copy);
      return validate(copy);
    };
    expect(broken((c) => Object.assign(c, { version: '1' }))).toBe(false);
    expect(broken((c) => Object.assign(c, { source: 'aws.cloudwatch' }))).toBe(false);
    expect(broken((c) => Object.assign(c.content, { description: undefined }))).toBe(false);
    expect(broken((c) => Object.assign(c.content, { title: 'x'.repeat(251) }))).toBe(false);
    expect(broken((c) => Object.assign(c.content, { description: 'x'.repeat(8001) }))).toBe(false);
    expect(broken((c) => c.content.nextSteps.push('x'.repeat(351)))).toBe(false);
    expect(broken((c) => c.content.keywords.push('x'.repeat(76)))).toBe(false);
    expect(broken((c) => Object.assign(c.metadata.additionalContext, { n: 1 }))).toBe(false);
    expect(broken((c) => Object.assign(c.content, { nextstep: [] }))).toBe(false);
  });
});

describe('renderChat', () => {
  it('has a fixture, and a valid rendering, for every event type', () => {
    for (const eventType of EVENT_TYPES) {
      const message = MESSAGES[eventType];
      expect(message.eventType).toBe(eventType);
      const chat = render(message);
      expectValid(chat);
      expect(chat).toMatchObject({
        version: '1.0',
        source: 'custom',
        id: message.eventId,
        content: { textType: 'client-markdown' },
        metadata: { eventType, additionalContext: { environment: 'prod', eventId: message.eventId } },
      });
      expect(chat.content.title).toContain('[prod]');
    }
  });

  it("threads a run's messages by the run's id, else by the deployment, else by the environment", () => {
    const runId = (MESSAGES.ROLLBACK_STARTED as { run: { id: string } }).run.id;
    const thread = (type: keyof typeof MESSAGES) => render(MESSAGES[type]).metadata.threadId;
    expect(thread('ROLLBACK_STARTED')).toBe(runId);
    expect(thread('ROLLBACK_SUCCEEDED')).toBe(runId);
    expect(thread('ROLLBACK_FAILED')).toBe(runId);
    // The rollback and the request it makes of the pipeline read as one thread.
    expect(thread('DEPLOYMENT_ROLLED_BACK')).toBe(BAD.id);
    expect(thread('ROLLBACK_REQUESTED')).toBe(BAD.id);
    expect(thread('AUTO_ROLLBACK_SKIPPED')).toBe(BAD.id);
    expect(thread('GUARD_BYPASSED')).toBe((MESSAGES.GUARD_BYPASSED as { deployment: { id: string } }).deployment.id);
    for (const type of ['ENVIRONMENT_HELD', 'ENVIRONMENT_RELEASED'] as const) expect(thread(type)).toBe('prod');
    for (const type of ['ROLLBACK_READINESS_LOST', 'ROLLBACK_READINESS_RESTORED'] as const)
      expect(thread(type)).toBe('prod');
    // With nothing deployed there, a skipped alarm threads by the environment.
    const noCurrent = { ...MESSAGES.AUTO_ROLLBACK_SKIPPED, current: null } as RollbackMessage;
    expect(render(noCurrent).metadata.threadId).toBe('prod');
  });

  it('says what happened, where, from which tag to which, which alarm and why, with the links that exist', () => {
    const chat = render(MESSAGES.DEPLOYMENT_ROLLED_BACK);
    expect(chat.content.title).toBe('⏪ [prod] v2.1.0-abc1234 rolled back');
    expect(chat.content.description).toContain(
      '`v2.1.0-abc1234` is ROLLED_BACK in `prod`, marked by alarm `platform-prod-api-5xx`',
    );
    expect(chat.content.description).toContain(`*Why:* ${ALARM.reason}`);
    expect(chat.content.description).toContain('*Pipeline run:* https://ci.example.com/runs/42');
    expect(chat.content.description).toContain('*Notes:* Adds the invoices view (migration 0042_add_invoice_index)');
    const console =
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/platform-prod-api-5xx';
    expect(chat.content.nextSteps).toContain(`Look at the alarm: ${console}`);
    expect(chat.metadata.relatedResources).toEqual([
      ALARM.arn,
      'arn:aws:ecs:eu-west-1:210987654321:service/platform/web',
    ]);

    const started = render(MESSAGES.ROLLBACK_STARTED);
    expect(started.content.title).toBe('⏪ [prod] Rollback run started: v2.1.0-abc1234 → v2.0.0-def5678');
    expect(started.content.description).toContain('*Redeploy via:* the ECS service `web` in cluster `platform`');
  });

  it('gives the next steps as commands to paste, the ones the CLI has and the ones the holds bring', () => {
    const steps = (type: keyof typeof MESSAGES) => render(MESSAGES[type]).content.nextSteps.join('\n');
    const runId = (MESSAGES.ROLLBACK_FAILED as { run: { id: string } }).run.id;
    expect(steps('ROLLBACK_FAILED')).toContain(`\`npx platform-rollback run ${runId}\``);
    expect(steps('ROLLBACK_FAILED')).toContain(
      'The redeploy: https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/platform/services/web/deployments?region=eu-west-1',
    );
    expect(steps('ROLLBACK_REQUESTED')).toContain(
      `\`npx platform-rollback record --environment prod --image-tag v2.0.0-def5678 --rollback-of ${BAD.id}\``,
    );
    expect(steps('ENVIRONMENT_HELD')).toContain('`npx platform-rollback release --environment prod --reason "..."`');
    expect(steps('ENVIRONMENT_HELD')).toContain('`npx platform-rollback gate --environment prod --image-tag TAG`');
    expect(steps('ROLLBACK_READINESS_LOST')).toContain('`npx platform-rollback plan --environment prod`');
    // Where the environment has a redeploy target, the service can roll back; elsewhere the command does.
    expect(steps('AUTO_ROLLBACK_SKIPPED')).toContain('rollback --via-service --environment prod');
    expect(render(MESSAGES.AUTO_ROLLBACK_SKIPPED, {}).content.nextSteps.join('\n')).toContain(
      'rollback --environment prod --reason "..." --deploy-command "..."',
    );
  });

  it('tells, for each step a run can fail at, what it left behind and what to do by hand', () => {
    const failed = MESSAGES.ROLLBACK_FAILED as RunMessage;
    const at = (step: 'checks' | 'redeploy' | 'verify') =>
      render({
        ...failed,
        failure: { step, detail: `${step} went wrong` },
        run: { ...failed.run, failure: { step, detail: '' } },
      });
    expect(at('checks').content.description).toContain('Nothing was changed');
    expect(at('checks').content.nextSteps.join('\n')).toContain('plan --environment prod --to v2.0.0-def5678');
    expect(at('redeploy').content.description).toContain('`v2.1.0-abc1234` is marked ROLLED_BACK, but the redeploy');
    expect(at('redeploy').content.nextSteps.join('\n')).toContain(
      `record --environment prod --image-tag v2.0.0-def5678 --rollback-of ${BAD.id}`,
    );
    expect(at('verify').content.description).toContain('did not stay healthy');
    expect(at('verify').content.title).toBe('🔴 [prod] Rollback FAILED at verify: people must act');
    expect(at('redeploy').content.description).toContain('*Failure:* redeploy went wrong');
  });

  it('names the resources a run acts on: the ECS service, the pipeline, the workflow, and the alarm', () => {
    const resources = (targets: RedeployTargets) =>
      render(MESSAGES.ROLLBACK_STARTED, targets).metadata.relatedResources;
    const common = {
      timeoutMinutes: 30,
      pollSeconds: 30,
      verify: { alarms: [], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
    };
    expect(
      resources({
        prod: {
          via: 'codepipeline',
          accountId: '111122223333',
          region: 'cn-north-1',
          pipeline: 'web-deploy',
          ...common,
        },
      }),
    ).toEqual([ALARM.arn, 'arn:aws-cn:codepipeline:cn-north-1:111122223333:web-deploy']);
    const github = {
      via: 'github-actions' as const,
      owner: 'acme',
      repo: 'web',
      workflow: 'rollback.yml',
      ref: 'main',
      tokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:gh',
      ...common,
    };
    expect(resources({ prod: { ...github, apiUrl: 'https://api.github.com' } })).toContain(
      'https://github.com/acme/web/actions/workflows/rollback.yml',
    );
    expect(resources({ prod: { ...github, apiUrl: 'https://git.example.com/api/v3' } })).toContain(
      'https://git.example.com/acme/web/actions/workflows/rollback.yml',
    );
    expect(resources({})).toEqual([ALARM.arn]);
  });

  it('lets nothing from a caller page a channel, forge a link, break a code span or start a line of its own', () => {
    const hostile = 'bad <!channel> @here see <https://evil.example|the fix>\n*Why:* forged `rm -rf` \u2028end';
    const message = {
      ...MESSAGES.ROLLBACK_STARTED,
      run: { ...(MESSAGES.ROLLBACK_STARTED as RunMessage).run, reason: hostile },
    } as RollbackMessage;
    const chat = render(message);
    expectValid(chat);
    const why = chat.content.description.split('\n').find((line) => line.startsWith('*Why:*'));
    expect(why).toBe("*Why:* bad ‹!channel› ＠here see ‹https://evil.example|the fix› *Why:* forged 'rm -rf' end");
    expect(chat.content.description.split('\n').filter((line) => line.startsWith('*Why:*'))).toHaveLength(1);
    // A URL that could carry a trick is left out rather than shown.
    const bad = { ...MESSAGES.DEPLOYMENT_ROLLED_BACK } as Extract<
      RollbackMessage,
      { eventType: 'DEPLOYMENT_ROLLED_BACK' }
    >;
    const sneaky = render({
      ...bad,
      deployment: { ...bad.deployment, pipelineRunUrl: 'https://ci.example.com/x|<!here>' },
    });
    expect(sneaky.content.description).not.toContain('Pipeline run');
    expect(sneaky.content.description).not.toContain('<!here>');
  });
});

describe('alarmConsoleUrl', () => {
  it("opens the alarm in its own partition's and region's console, and is null for anything but an alarm ARN", () => {
    expect(alarmConsoleUrl('arn:aws:cloudwatch:us-east-1:123456789012:alarm:api 5xx/p99')).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/api%205xx%2Fp99',
    );
    expect(alarmConsoleUrl('arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:x')).toBe(
      'https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/x',
    );
    expect(alarmConsoleUrl('arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:x')).toBe(
      'https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/x',
    );
    expect(alarmConsoleUrl('arn:aws:sns:us-east-1:123456789012:topic')).toBeNull();
    expect(alarmConsoleUrl('not an arn')).toBeNull();
  });
});

describe('bounded sizes (property tests)', () => {
  /** What chat clients and our markup react to, mixed into any text at all (astral characters and controls included). */
  const char = fc.oneof(
    fc.constantFrom('<', '>', '@', '`', '*', '_', '|', '\n', '\r', '\u2028', ' ', '…', '😀'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  );
  /** Short text usually, long text often: up to `max` characters. */
  const anyText = (max: number) =>
    fc.oneof(fc.string({ unit: char, maxLength: 40 }), fc.string({ unit: char, minLength: max / 2, maxLength: max }));
  const TAG_FIRST = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
  /** The longer tags of Docker's grammar: 64 to 128 characters. */
  const longTag = fc
    .tuple(
      fc.constantFrom(...TAG_FIRST),
      fc.string({ unit: fc.constantFrom(...`${TAG_FIRST}.-`), minLength: 63, maxLength: 127 }),
    )
    .map(([first, rest]) => first + rest);
  const longEnvironment = fc.constantFrom('prod', `e${'-x'.repeat(15)}z`);

  it('clip cuts to at most max code points with an ellipsis, never inside a surrogate pair', () => {
    fc.assert(
      fc.property(anyText(400), fc.integer({ min: 1, max: 300 }), (value, max) => {
        const cut = clip(value, max);
        expect(codePoints(cut)).toBeLessThanOrEqual(max);
        if (codePoints(value) <= max) expect(cut).toBe(value);
        else expect(cut.endsWith('…')).toBe(true);
        expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
    );
  });

  it('plain leaves nothing a chat client acts on, on one line', () => {
    fc.assert(
      fc.property(anyText(300), (value) => {
        expect(plain(value)).not.toMatch(/[<>@`\n\r\u2028\u2029]/);
      }),
    );
  });

  it('every event type stays a valid message with the longest tags and any reasons, notes, details and names', () => {
    // Every free-text member of a message (and of the records and run inside it) gets a value of
    // its own; tags and the environment get the longest their grammars allow.
    const FREE_TEXT = new Set([
      'reason',
      'rollbackReason',
      'detail',
      'notes',
      'by',
      'deployedBy',
      'rolledBackBy',
      'requestedBy',
      'version',
      'commitSha',
      'externalId',
      'pipelineRunUrl',
      'url',
      'arn',
    ]);
    interface Values {
      text: (path: string) => string;
      tag: string;
      environment: string;
    }
    const rewrite = (value: unknown, key: string, parent: string, values: Values): unknown => {
      if (typeof value === 'string') {
        if (key === 'imageTag') return values.tag;
        if (key === 'environment') return values.environment;
        if (FREE_TEXT.has(key) || (key === 'name' && parent === 'alarm')) return values.text(`${parent}.${key}`);
        return value;
      }
      if (Array.isArray(value)) return value.map((v) => rewrite(v, key, parent, values));
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k, key, values)]));
      }
      return value;
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENT_TYPES),
        fc.func(anyText(2500)),
        longTag,
        longEnvironment,
        (eventType, text, tag, environment) => {
          const message = rewrite(MESSAGES[eventType], '', '', { text, tag, environment }) as RollbackMessage;
          const chat = renderChat(message, { targets: { [environment]: TARGETS.prod } as RedeployTargets });
          expectValid(chat);
          const people = [
            chat.content.title,
            chat.content.description,
            chat.metadata.summary,
            ...chat.content.nextSteps,
          ];
          for (const field of people) expect(field).not.toMatch(/[<>@]/);
          // Nothing to do is ever cut short: a command or a link cut would do or open something else.
          for (const step of chat.content.nextSteps) expect(step.endsWith('…')).toBe(false);
          // Each step that names a command ends with it whole.
          for (const step of chat.content.nextSteps.filter((s) => s.includes('npx platform-rollback'))) {
            expect(step).toMatch(/`npx platform-rollback [^`]+`$/);
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it('cuts a description at 8,000 characters with an ellipsis, keeping the start people read first', () => {
    const lost = MESSAGES.ROLLBACK_READINESS_LOST as ReadinessLost;
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: char, minLength: 900, maxLength: 3000 }), { minLength: 9, maxLength: 30 }),
        (details) => {
          const many = {
            ...lost,
            checks: details.map((detail) => ({ name: 'image' as const, status: 'FAILED' as const, detail })),
          };
          const chat = render(many);
          expectValid(chat);
          expect(codePoints(chat.content.description)).toBe(CHAT_LIMITS.description);
          expect(chat.content.description.endsWith('…')).toBe(true);
          expect(chat.content.description.startsWith('A rollback of `prod` would fail')).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);

  it('cuts a long value at its own bound, so it cannot crowd out the rest of the message', () => {
    const failed = MESSAGES.ROLLBACK_FAILED as RunMessage;
    const chat = render({ ...failed, failure: { step: 'verify', detail: '✗'.repeat(20_000) } });
    expectValid(chat);
    expect(chat.content.description).toContain(`*Failure:* ${'✗'.repeat(100)}`);
    expect(chat.content.description).toMatch(/✗…\n/);
    // What follows the failure is still there.
    expect(chat.content.description).toContain('*Steps:* identify ✓');
  });
});
