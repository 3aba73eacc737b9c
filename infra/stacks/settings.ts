import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

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
}

const DEFAULTS = { stage: 'dev', logRetentionDays: 30, throttleRateLimit: 50, throttleBurstLimit: 100 };

const RETENTIONS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'));

function positiveInteger(name: string, raw: unknown, fallback: number): number {
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`context ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * Reads and checks the settings from the app's context (docs/DEPLOY.md's table describes each
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
  return { stage, opsEmail, logRetention: days as RetentionDays, throttle: { rateLimit, burstLimit } };
}
