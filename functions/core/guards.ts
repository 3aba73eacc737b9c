/**
 * The shapes of the third round's guards (docs/NOTIFICATIONS.md, "Messages"): an
 * environment's hold, the override that lets a start through the guards, and the readiness
 * summary an environment item keeps. Plain data; the notifications carry them
 * (notifications.ts), and holds, the gate and readiness will be built on them.
 */

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

/** The override a record was created with: it let an IN_PROGRESS start through the guards. */
export interface Override {
  reason: string;
  /** The caller who overrode (never taken from the body). */
  by: string;
}

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
