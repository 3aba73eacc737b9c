/**
 * The shapes of the third round's guards (docs/NOTIFICATIONS.md, "Messages"): an
 * environment's hold, the override that lets a start through the guards, and the readiness
 * summary an environment item keeps, and the rules over them (who holds after a rollback,
 * what a rollback's hold says, when a tag is known bad). Plain data and functions; the
 * notifications carry the shapes (notifications.ts).
 */
import type { Deployment } from './deployment.js';

/** What held an environment: a rollback (automatic) or a person (a deploy freeze). */
export interface HoldCause {
  kind: 'rollback' | 'manual';
  /** The deployment whose rollback held the environment; null for a manual hold. */
  deploymentId: string | null;
  /** The rollback run that rolled it back, where a run did; else null. */
  runId: string | null;
}

/** An environment's hold: forward deployments into it are refused until a person releases it. */
export interface Hold {
  reason: string;
  /** Who held it: the caller, or `auto-rollback:<alarm>` for an alarm's rollback. */
  by: string;
  /** When (ISO 8601 UTC). */
  since: string;
  cause: HoldCause;
}

/** A release's own reason and who gave it. */
export interface Release {
  reason: string;
  by: string;
}

export type { Override } from './deployment.js';

/** The guards POST .../deployments applies to a forward start. */
export const GUARDS = ['hold', 'known-bad'] as const;
export type Guard = (typeof GUARDS)[number];

/** The readiness checks: the rollback run's safety checks, plus the target and verify checks. */
export const READINESS_CHECKS = ['target', 'image', 'migrations', 'redeploy-target', 'verify'] as const;
export type ReadinessCheckName = (typeof READINESS_CHECKS)[number];

/** One readiness check, as GET .../environments/{environment}/readiness lists it. */
export interface ReadinessCheck {
  name: ReadinessCheckName;
  status: 'PASSED' | 'FAILED' | 'SKIPPED';
  detail: string;
}

/** The environment item's `readiness`: would a rollback work right now? */
export interface ReadinessSummary {
  ready: boolean;
  checkedAt: string;
  /** The names of the FAILED checks; empty when ready. */
  failing: ReadinessCheckName[];
}

/**
 * Checks the setting holdAfterRollback (context and function setting alike): an array of
 * environment names, or `["*"]`. Throws, naming `where`, on anything else.
 */
export function parseHoldAfterRollback(value: unknown, where: string): readonly string[] {
  const name = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && (v === '*' || name.test(v)))) {
    throw new Error(`${where} must be a JSON array of environment names, or ["*"] for every environment (the default)`);
  }
  return [...new Set(value as string[])];
}

/** `holdAfterRollback`'s default: every environment is held after a rollback. */
export const HOLD_EVERY_ENVIRONMENT: readonly string[] = ['*'];

/**
 * Whether a rollback in `environment` holds it, by the setting `holdAfterRollback` (a list of
 * environments, or `["*"]` for all; absent: all).
 */
export function holdsAfterRollback(setting: readonly string[] | undefined, environment: string): boolean {
  const list = setting ?? HOLD_EVERY_ENVIRONMENT;
  return list.includes('*') || list.includes(environment);
}

/** The automatic hold a rollback of `rolledBack` puts on its environment. */
export function rollbackHold(rolledBack: Deployment, runId: string | null): Hold {
  const why = rolledBack.rollbackReason ? `: ${rolledBack.rollbackReason}` : '';
  return {
    reason: `${rolledBack.imageTag} rolled back${why}`.slice(0, 1024),
    by: rolledBack.rolledBackBy ?? 'unknown',
    since: rolledBack.rolledBackAt ?? rolledBack.updatedAt,
    cause: { kind: 'rollback', deploymentId: rolledBack.id, runId },
  };
}

/**
 * The record that makes a tag known bad in an environment, from that tag's records there,
 * newest first: a ROLLED_BACK record newer than the tag's last DEPLOYED record. IN_PROGRESS and
 * FAILED records say nothing either way (they never reached the environment, or not yet).
 */
export async function knownBadRecord(newestFirst: AsyncIterable<Deployment>): Promise<Deployment | undefined> {
  for await (const record of newestFirst) {
    if (record.status === 'ROLLED_BACK') return record;
    if (record.status === 'DEPLOYED') return undefined;
  }
  return undefined;
}
