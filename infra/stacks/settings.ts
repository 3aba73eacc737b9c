import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type AccessPolicy, parseAccessPolicy } from '../../functions/core/access-policy.js';
import { AlarmName, AlarmRule } from '../../functions/core/schemas.js';
import * as z from '../../functions/core/zod.js';

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
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * Existing CloudWatch alarms (same account and region as the stack) that roll back an
   * environment when they go into ALARM; each is wired by `AutoRollback.watchByName`.
   */
  autoRollback: WatchedAlarm[];
  /**
   * Environment-scoped access (functions/core/access-policy.ts): which roles may read, record
   * and roll back where. Undefined: every caller allowed execute-api:Invoke may do everything.
   */
  accessPolicy: AccessPolicy | undefined;
}

/** One entry of the `autoRollback` context setting. */
export interface WatchedAlarm {
  alarmName: string;
  environment: string;
  /** Only a deployment made at most this many minutes before the alarm fired is rolled back. */
  windowMinutes: number;
}

/** The same bounds the function checks in ALARM_RULES (functions/lib/config.ts), so synth fails first. */
const WatchedAlarms = z.array(z.extend(AlarmRule, { alarmName: AlarmName }));

const DEFAULTS = { stage: 'dev', logRetentionDays: 30, throttleRateLimit: 50, throttleBurstLimit: 100 };

const RETENTIONS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

function positiveInteger(name: string, raw: unknown, fallback: number): number {
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`context ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Reads and checks the settings from the app's context (README.md's "Settings" table describes each
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
  const days = positiveInteger('logRetentionDays', context('logRetentionDays'), DEFAULTS.logRetentionDays);
  if (!RETENTIONS.has(days)) {
    const accepted = [...RETENTIONS].sort((x, y) => x - y).join(', ');
    throw new Error(`context logRetentionDays must be one CloudWatch Logs accepts (${accepted}), got ${days}`);
  }
  const rateLimit = positiveInteger('throttleRateLimit', context('throttleRateLimit'), DEFAULTS.throttleRateLimit);
  const burstLimit = positiveInteger('throttleBurstLimit', context('throttleBurstLimit'), DEFAULTS.throttleBurstLimit);
  const autoRollback = watchedAlarms(context('autoRollback'));
  const accessPolicy = accessPolicyOf(context('accessPolicy'));
  return {
    stage,
    opsEmail,
    logRetention: days as RetentionDays,
    throttle: { rateLimit, burstLimit },
    autoRollback,
    accessPolicy,
  };
}

/**
 * `autoRollback`: a JSON array, `[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]`;
 * a string from `-c`, an array from cdk.json. An alarm name may appear once: one alarm guards one environment.
 */
function watchedAlarms(raw: unknown): WatchedAlarm[] {
  if (raw === undefined || raw === '') return [];
  const example = '[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]';
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(`context autoRollback must be a JSON array like ${example}, got "${raw}"`);
    }
  }
  const result = WatchedAlarms.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`context autoRollback is invalid (${problems}); expected e.g. ${example}`);
  }
  const seen = new Set<string>();
  for (const { alarmName } of result.data) {
    if (seen.has(alarmName)) throw new Error(`context autoRollback names the alarm "${alarmName}" twice`);
    seen.add(alarmName);
  }
  return result.data;
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
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(
        `context accessPolicy must be a JSON object like {"prod":{"rollback":["arn:aws:iam::123456789012:role/oncall"]}}, got "${raw}"`,
      );
    }
  }
  const policy = parseAccessPolicy(value, 'context accessPolicy');
  const size = Buffer.byteLength(JSON.stringify(policy));
  if (size > MAX_ACCESS_POLICY_BYTES) {
    throw new Error(
      `context accessPolicy is ${size} bytes as JSON; at most ${MAX_ACCESS_POLICY_BYTES} fit in a function's environment (Lambda's limit is 4 KB in all)`,
    );
  }
  return policy;
}
