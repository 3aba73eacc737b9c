import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
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
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * Existing CloudWatch alarms (same account and region as the stack) that roll back an
   * environment when they go into ALARM; each is wired by `AutoRollback.watchByName`.
   */
  autoRollback: WatchedAlarm[];
  /**
   * The AWS Organizations id (`o-...`) whose accounts may send alarm state changes to the
   * service's organization alarm bus; no bus when unset.
   */
  organizationId: string | undefined;
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
  const organizationId = optionalOrganizationId(context('organizationId'));
  return {
    stage,
    opsEmail,
    logRetention: days as RetentionDays,
    throttle: { rateLimit, burstLimit },
    autoRollback,
    organizationId,
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
