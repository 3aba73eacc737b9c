/**
 * The service's configuration, read from the environment once per cold start. A missing
 * or malformed setting throws here, at init, rather than on the first request.
 */

import { type AccessPolicy, parseAccessPolicy } from '../core/access-policy.js';
import { HOLD_EVERY_ENVIRONMENT, parseHoldAfterRollback } from '../core/guards.js';
import { lazySchema } from '../core/lazy-schema.js';
import { parseRedeployTargets, type RedeployTargets } from '../core/redeploy/targets.js';
import { AlarmName, AlarmRule } from '../core/schemas.js';
import * as z from '../core/zod.js';

const AlarmRules = /* @__PURE__ */ lazySchema(() => z.record(AlarmName, AlarmRule));

export interface Config {
  tableName: string;
  /** DynamoDB endpoint override: set in local mode and tests (DynamoDB Local), unset in AWS. */
  dynamodbEndpoint: string | undefined;
  region: string;
  /** The rollback topic; only the notifier and the sweeper need it. */
  topicArn: string | undefined;
  /** CHAT_TOPIC_ARN: the chat topic, where the deployment has one (the notifier and the sweeper). */
  chatTopicArn: string | undefined;
  /**
   * CURSOR_KEY: the HMAC key that signs history cursors. Only the ListHistory function is
   * given it (adapters/cursor-key.ts loads it at init); the other functions run without it.
   */
  cursorKey: string | undefined;
  /**
   * CURSOR_KEY_SECRET_ARN: the Secrets Manager secret holding that key, which the deployed
   * function reads at init (adapters/cursor-key.ts); CURSOR_KEY, when set, wins (local mode).
   */
  cursorKeySecretArn: string | undefined;
  /** RUN_FUNCTION: the run workflow's alias ARN, which the starters invoke (AWS). */
  runFunction: string | undefined;
  /** RUN_LAUNCHER_URL: local mode's launcher endpoint (the local server runs the workflow). */
  runLauncherUrl: string | undefined;
  /** RUN_LAUNCHER_SECRET: the per-launch secret that endpoint takes (required with RUN_LAUNCHER_URL). */
  runLauncherSecret: string | undefined;
  /**
   * ACCESS_POLICY: which role may read, record and roll back in which environment (JSON, see
   * core/access-policy.ts). Unset: every caller IAM lets in may do everything.
   */
  accessPolicy: AccessPolicy | undefined;
  /**
   * HOLD_AFTER_ROLLBACK: the environments a rollback holds (a JSON array of names, or `["*"]`);
   * unset: every environment.
   */
  holdAfterRollback: readonly string[];
}

export class ConfigError extends Error {}

function optionalUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!URL.canParse(value)) throw new ConfigError(`${name} must be a URL, got "${value}"`);
  return value;
}

/** Reads and checks the environment. Throws ConfigError naming every missing setting. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new ConfigError('TABLE_NAME is required: the name of the deployments table');
  const runLauncherUrl = optionalUrl('RUN_LAUNCHER_URL', env.RUN_LAUNCHER_URL);
  const runLauncherSecret = env.RUN_LAUNCHER_SECRET || undefined;
  if (runLauncherUrl && !runLauncherSecret) {
    throw new ConfigError(
      'RUN_LAUNCHER_SECRET is required with RUN_LAUNCHER_URL: the local run host takes no launch without it',
    );
  }
  return {
    tableName,
    dynamodbEndpoint: optionalUrl('DYNAMODB_ENDPOINT', env.DYNAMODB_ENDPOINT),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    topicArn: env.TOPIC_ARN || undefined,
    chatTopicArn: env.CHAT_TOPIC_ARN || undefined,
    cursorKey: cursorKey(env.CURSOR_KEY),
    cursorKeySecretArn: env.CURSOR_KEY_SECRET_ARN || undefined,
    runFunction: env.RUN_FUNCTION || undefined,
    runLauncherUrl,
    runLauncherSecret,
    accessPolicy: accessPolicy(env.ACCESS_POLICY),
    holdAfterRollback: holdAfterRollback(env.HOLD_AFTER_ROLLBACK),
  };
}

/** Long enough that the key, not the tag length, is never what limits a forger. */
const CURSOR_KEY_MIN_LENGTH = 32;

/** Checks a cursor key from the environment or from its secret; undefined when there is none. */
export function cursorKey(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < CURSOR_KEY_MIN_LENGTH) {
    throw new ConfigError(`CURSOR_KEY must be at least ${CURSOR_KEY_MIN_LENGTH} characters, got ${value.length}`);
  }
  return value;
}

/**
 * ALARM_RULES: alarm name → the environment it guards (auto-rollback only; `{}` when unset),
 * as JSON: `{ "<alarm name>": { "environment": "prod", "windowMinutes": 60 } }`. Keyed by alarm
 * NAME, not ARN: the alarm's action references the function, so a function setting that
 * referenced the alarm's ARN would make a CloudFormation cycle.
 *
 * Read apart from readConfig, once at init by the one function that uses it, so that the
 * other functions neither parse it nor bundle its schema.
 */
export function readAlarmRules(env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, AlarmRule>> {
  const value = env.ALARM_RULES;
  if (value === undefined || value === '') return {};
  const parsed = jsonSetting('ALARM_RULES', value, '{"<alarm name>": {"environment": "prod", "windowMinutes": 60}}');
  const result = AlarmRules.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`ALARM_RULES is invalid: ${problems}`);
  }
  return result.data;
}

/**
 * REDEPLOY_TARGETS: environment → its redeploy target (core/redeploy/targets.ts); `{}` when
 * unset. Given to the functions that start runs, list environments, to the run workflow, and
 * to the notifier and the sweeper where there is a chat topic (its messages name the targets);
 * read apart from readConfig, once at init by those, for the reason readAlarmRules gives.
 */
export function readRedeployTargets(env: NodeJS.ProcessEnv = process.env): RedeployTargets {
  try {
    return parseRedeployTargets(env.REDEPLOY_TARGETS ?? '', 'REDEPLOY_TARGETS');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/**
 * Environment → the `via` of its redeploy target, from REDEPLOY_TARGETS, for a function that
 * only shows where redeploys go (ListEnvironments). Only `via` is read, not the whole target
 * checked: synth checks the setting, and so does every function that acts on it
 * (readRedeployTargets). Reading no more keeps the targets' schemas out of this function.
 */
export function readRedeployVia(env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, string>> {
  const value = env.REDEPLOY_TARGETS;
  if (value === undefined || value.trim() === '') return {};
  const parsed = jsonSetting('REDEPLOY_TARGETS', value, '{"prod": {"via": "callback"}}');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('REDEPLOY_TARGETS must be a JSON object: {"prod": {"via": "callback"}}');
  }
  const via: Record<string, string> = {};
  for (const [environment, target] of Object.entries(parsed as Record<string, { via?: unknown }>)) {
    if (typeof target?.via !== 'string') throw new ConfigError(`REDEPLOY_TARGETS.${environment}.via must be a string`);
    via[environment] = target.via;
  }
  return via;
}

/** ACCESS_POLICY is JSON: `{ "prod": { "rollback": ["arn:aws:iam::123456789012:role/oncall"] } }`. */
function accessPolicy(value: string | undefined): AccessPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = jsonSetting('ACCESS_POLICY', value, '{"prod": {"read": ["arn:aws:iam::123456789012:role/name"]}}');
  try {
    return parseAccessPolicy(parsed, 'ACCESS_POLICY');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** HOLD_AFTER_ROLLBACK is JSON: `["prod", "staging"]`, or `["*"]` (the default). */
function holdAfterRollback(value: string | undefined): readonly string[] {
  if (value === undefined || value === '') return HOLD_EVERY_ENVIRONMENT;
  const parsed = jsonSetting('HOLD_AFTER_ROLLBACK', value, '["prod", "staging"] or ["*"]');
  try {
    return parseHoldAfterRollback(parsed, 'HOLD_AFTER_ROLLBACK');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** A JSON setting's value; ConfigError naming the setting, with an example, when it is not JSON. */
function jsonSetting(name: string, value: string, example: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} must be JSON: ${example}`);
  }
}
