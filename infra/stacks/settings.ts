import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type AccessPolicy, parseAccessPolicy } from '../../functions/core/access-policy.js';
import { parseHoldAfterRollback } from '../../functions/core/guards.js';
import { parseRedeployTargets, type RedeployTargets } from '../../functions/core/redeploy/targets.js';
import { AlarmName, AlarmRule } from '../../functions/core/schemas.js';
import * as z from '../../functions/core/zod.js';
import { ORGANIZATION_ID_PATTERN } from '../constructs/organization-alarm-bus.js';

/**
 * The deployment's settings, all from CDK context (`-c name=value` on the command line, or
 * `context` in cdk.json for the defaults). Checked once at synth, so a typo fails before
 * anything reaches CloudFormation.
 */
export interface Settings {
  /** `dev`, `staging`, `prod`, ...: part of the stack names, so stages can share an account. */
  stage: string;
  /** Subscribed to the rollback topic by email when given (the address must confirm). */
  opsEmail: string | undefined;
  /** Retention of every function's log group and of the API's access log. */
  logRetention: RetentionDays;
  /** The API stage's default route throttling (each route): steady requests per second, and the burst above it. */
  throttle: Throttle;
  /**
   * Throttling of the routes that write records (a route's `throttle: 'write'`) and of those
   * that roll back (`'rollback'`), each route its own limit: no read, however noisy, can use
   * up what a rollback needs.
   */
  routeThrottle: Record<ThrottleClass, Throttle>;
  /** Retention of the API's access log (who called what), kept when the stateless stack is deleted. */
  accessLogRetention: RetentionDays;
  /**
   * Existing CloudWatch alarms (same account and region as the stack) that roll back an
   * environment when they go into ALARM; each is wired by `AutoRollback.watchByName`.
   */
  autoRollback: WatchedAlarm[];
  /**
   * `redeployTargets`: environment → its redeploy target and verify alarms (the schema of
   * functions/core/redeploy/targets.ts, the same the functions read as REDEPLOY_TARGETS).
   * Environments listed get rollback runs; `command` targets exist in local mode only.
   */
  redeployTargets: RedeployTargets;
  /**
   * The AWS Organizations id (`o-...`) whose accounts may send alarm state changes to the
   * service's organization alarm bus; no bus when unset.
   */
  organizationId: string | undefined;
  /**
   * Environment-scoped access (functions/core/access-policy.ts): which roles may read, record
   * and roll back where. Undefined: every caller allowed execute-api:Invoke may do everything.
   */
  accessPolicy: AccessPolicy | undefined;
  /** `holdAfterRollback`: the environments a rollback holds; undefined: every one (the functions' default). */
  holdAfterRollback: readonly string[] | undefined;
  /**
   * `chat`: the chat topic (notifications rendered for Amazon Q Developer in chat applications),
   * and the Slack and Microsoft Teams channels subscribed to it. Undefined: no chat topic.
   */
  chat: ChatSettings | undefined;
}

/** The `chat` setting: `{}` for the chat topic alone, or with the channels to connect to it. */
export interface ChatSettings {
  slack?: { workspaceId: string; channelId: string };
  teams?: { teamId: string; channelId: string; tenantId: string };
}

/** Requests per second, steady, and the burst allowed above it. */
export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** `throttle` of a route in functions/routes.ts. */
export type ThrottleClass = 'write' | 'rollback';

/** One entry of the `autoRollback` context setting. */
export interface WatchedAlarm {
  alarmName: string;
  environment: string;
  /** Only a deployment made at most this many minutes before the alarm fired is rolled back. */
  windowMinutes: number;
}

/** The same bounds the function checks in ALARM_RULES (functions/lib/config.ts), so synth fails first. */
const WatchedAlarms = z.array(z.extend(AlarmRule, { alarmName: AlarmName }));

/**
 * The most the alarm rules may take in the auto-rollback function's environment: Lambda caps all
 * of a function's variables at 4 KB together, and the function has a few others besides.
 */
export const MAX_ALARM_RULES_BYTES = 3072;

const DEFAULTS = {
  stage: 'dev',
  logRetentionDays: 30,
  accessLogRetentionDays: 365,
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  writeThrottleRateLimit: 20,
  writeThrottleBurstLimit: 40,
  rollbackThrottleRateLimit: 10,
  rollbackThrottleBurstLimit: 20,
};

const RETENTIONS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

function positiveInteger(name: string, raw: unknown, fallback: number): number {
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`context ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Reads and checks the settings from the app's context (docs/DEPLOY.md's "Settings" table describes each
 * key); throws naming the bad key. Values from `-c` arrive as strings, from cdk.json as JSON.
 */
export function readSettings(node: Node): Settings {
  const context = (key: string): unknown => node.tryGetContext(key);
  const stage = String(context('stage') ?? DEFAULTS.stage);
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new Error(`context stage must be lower-case letters, digits and dashes (at most 20), got "${stage}"`);
  }
  const rawEmail = context('opsEmail');
  const opsEmail = rawEmail === undefined || rawEmail === '' ? undefined : String(rawEmail);
  if (opsEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(opsEmail)) {
    throw new Error(`context opsEmail must be an email address, got "${opsEmail}"`);
  }
  const retention = (key: 'logRetentionDays' | 'accessLogRetentionDays') => {
    const days = positiveInteger(key, context(key), DEFAULTS[key]);
    if (!RETENTIONS.has(days)) {
      const accepted = [...RETENTIONS].sort((x, y) => x - y).join(', ');
      throw new Error(`context ${key} must be one CloudWatch Logs accepts (${accepted}), got ${days}`);
    }
    return days as RetentionDays;
  };
  const throttle = (prefix: 'throttle' | 'writeThrottle' | 'rollbackThrottle'): Throttle => ({
    rateLimit: positiveInteger(`${prefix}RateLimit`, context(`${prefix}RateLimit`), DEFAULTS[`${prefix}RateLimit`]),
    burstLimit: positiveInteger(`${prefix}BurstLimit`, context(`${prefix}BurstLimit`), DEFAULTS[`${prefix}BurstLimit`]),
  });
  const autoRollback = watchedAlarms(context('autoRollback'));
  const redeployTargets = parseRedeployTargets(context('redeployTargets'), 'context redeployTargets');
  for (const [environment, target] of Object.entries(redeployTargets)) {
    if (target.via === 'command') {
      throw new Error(
        `context redeployTargets.${environment}: via "command" runs a shell command on this machine: local mode only`,
      );
    }
  }
  return {
    stage,
    opsEmail,
    logRetention: retention('logRetentionDays'),
    throttle: throttle('throttle'),
    routeThrottle: { write: throttle('writeThrottle'), rollback: throttle('rollbackThrottle') },
    accessLogRetention: retention('accessLogRetentionDays'),
    autoRollback,
    redeployTargets,
    organizationId: optionalOrganizationId(context('organizationId')),
    accessPolicy: accessPolicyOf(context('accessPolicy')),
    holdAfterRollback: holdAfterRollbackOf(context('holdAfterRollback')),
    chat: chatOf(context('chat')),
  };
}

/** `organizationId`: an AWS Organizations id, checked here so a typo fails the synth, not the first alarm. */
function optionalOrganizationId(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = String(raw);
  if (!ORGANIZATION_ID_PATTERN.test(value)) {
    throw new Error(`context organizationId must be an AWS Organizations id like o-a1b2c3d4e5, got "${value}"`);
  }
  return value;
}

/** A JSON setting: a string (from `-c`) is parsed, a value from cdk.json is taken as it is. */
function contextJson(name: string, raw: unknown, expected: string): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`context ${name} must be ${expected}, got "${raw}"`);
  }
}

/**
 * `autoRollback`: a JSON array, `[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]`;
 * a string from `-c`, an array from cdk.json. An alarm name may appear once: one alarm guards one environment.
 */
function watchedAlarms(raw: unknown): WatchedAlarm[] {
  if (raw === undefined || raw === '') return [];
  const example = '[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]';
  const value = contextJson('autoRollback', raw, `a JSON array like ${example}`);
  const result = WatchedAlarms.safeParse(value);
  if (!result.success) {
    // Name the alarm beside the entry's index: in a list of dozens, "3.windowMinutes" alone is hard to find.
    const nameOf = (index: PropertyKey | undefined) => {
      const entry = Array.isArray(value) && typeof index === 'number' ? value[index] : undefined;
      return typeof entry?.alarmName === 'string' && entry.alarmName ? ` (alarm "${entry.alarmName}")` : '';
    };
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}${nameOf(i.path[0])}: ${i.message}`)
      .join('; ');
    throw new Error(`context autoRollback is invalid (${problems}); expected e.g. ${example}`);
  }
  const seen = new Set<string>();
  for (const { alarmName } of result.data) {
    if (seen.has(alarmName)) throw new Error(`context autoRollback names the alarm "${alarmName}" twice`);
    seen.add(alarmName);
  }
  const rules = JSON.stringify(
    Object.fromEntries(
      result.data.map((a) => [a.alarmName, { environment: a.environment, windowMinutes: a.windowMinutes }]),
    ),
  );
  const bytes = Buffer.byteLength(rules);
  if (bytes > MAX_ALARM_RULES_BYTES) {
    throw new Error(
      `context autoRollback makes ALARM_RULES ${bytes} bytes for ${result.data.length} alarms; Lambda allows 4 KB for ` +
        `all of a function's environment variables, so the rules may take at most ${MAX_ALARM_RULES_BYTES}: ` +
        'watch fewer alarms (a composite alarm can stand for several)',
    );
  }
  return result.data;
}

/**
 * `holdAfterRollback`: a JSON array of environments a rollback holds, or `["*"]` (the default,
 * every one); a string from `-c`, an array from cdk.json. Checked with the functions' own rule.
 */
function holdAfterRollbackOf(raw: unknown): readonly string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = contextJson('holdAfterRollback', raw, 'a JSON array like ["prod"] or ["*"]');
  return parseHoldAfterRollback(value, 'context holdAfterRollback');
}

/**
 * Lambda allows 4 KB for a function's whole environment; the policy travels in it (as
 * ACCESS_POLICY), so a larger one fails here rather than at deploy.
 */
export const MAX_ACCESS_POLICY_BYTES = 3_072;

/**
 * `accessPolicy`: a JSON object, `{"prod":{"rollback":["arn:aws:iam::123456789012:role/oncall"]}}`;
 * a string from `-c`, an object from cdk.json. Checked with the schema the functions use at init.
 */
function accessPolicyOf(raw: unknown): AccessPolicy | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = contextJson(
    'accessPolicy',
    raw,
    'a JSON object like {"prod":{"rollback":["arn:aws:iam::123456789012:role/oncall"]}}',
  );
  const policy = parseAccessPolicy(value, 'context accessPolicy');
  const size = Buffer.byteLength(JSON.stringify(policy));
  if (size > MAX_ACCESS_POLICY_BYTES) {
    throw new Error(
      `context accessPolicy is ${size} bytes as JSON; at most ${MAX_ACCESS_POLICY_BYTES} fit in a function's environment (Lambda's limit is 4 KB in all)`,
    );
  }
  return policy;
}

const uuid = () =>
  z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID'));

/** The IDs Amazon Q Developer accepts (its API's patterns), checked at synth rather than at deploy. */
const Chat = z.strictObject({
  slack: z.optional(
    z.strictObject({
      workspaceId: z
        .string()
        .check(z.regex(/^[0-9A-Z]{1,255}$/, 'must be a Slack workspace (team) ID like T0123ABCDEF')),
      channelId: z.string().check(z.regex(/^[A-Za-z0-9]{1,255}$/, 'must be a Slack channel ID like C0123ABCDEF')),
    }),
  ),
  teams: z.optional(
    z.strictObject({
      teamId: uuid(),
      tenantId: uuid(),
      channelId: z
        .string()
        .check(
          z.regex(
            /^[\w=+/.,-]*%3[aA][\w=+/.,-]*%40[\w=+/.,-]*$/,
            'must be a Microsoft Teams channel ID like 19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2 (or 19:...@thread.tacv2)',
          ),
        ),
    }),
  ),
});

/**
 * `chat`: a JSON object (a string from `-c`, an object from cdk.json). A Teams channel ID is
 * taken as Teams' "Copy link" gives it (`19%3a...%40thread.tacv2`) or decoded (`19:...@thread.tacv2`).
 */
function chatOf(raw: unknown): ChatSettings | undefined {
  if (raw === undefined || raw === '') return undefined;
  const example = '{"slack":{"workspaceId":"T0123ABCDEF","channelId":"C0123ABCDEF"}}';
  let value = contextJson('chat', raw, `a JSON object like {} or ${example}`);
  const teams = (value as { teams?: { channelId?: unknown } } | null)?.teams;
  if (typeof teams?.channelId === 'string' && teams.channelId.includes(':')) {
    value = {
      ...(value as object),
      teams: { ...teams, channelId: teams.channelId.replace(':', '%3a').replace('@', '%40') },
    };
  }
  const result = Chat.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`context chat is invalid (${problems}); expected {} or e.g. ${example}`);
  }
  return result.data;
}
