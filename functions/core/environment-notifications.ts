/**
 * The third round's notifications (contract: "Additions (third round)"): an environment held
 * and released, a guard bypassed, rollback readiness lost and restored. Like every message,
 * they are written to the outbox in the same transaction as the change they report, and go
 * out on the rollback topic (JSON) and the chat topic (rendered by chat-notification.ts).
 *
 * Nothing emits them yet: holds, the deploy gate and readiness come with their own work
 * (issue 20), which calls the builders below. The shapes are the contract's, so that work
 * and every renderer of these messages agree on them from the start.
 */
import type { Deployment } from './deployment.js';
import { type MessageBase, type OutboxEvent, type Stamp, subject } from './notifications.js';

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

export interface EnvironmentHeld extends MessageBase {
  eventType: 'ENVIRONMENT_HELD';
  hold: Hold;
}

export interface EnvironmentReleased extends MessageBase {
  eventType: 'ENVIRONMENT_RELEASED';
  /** The hold as it stood until the release. */
  hold: Hold;
  /** The release's reason. */
  reason: string;
  /** Who released it. */
  by: string;
}

export interface GuardBypassed extends MessageBase {
  eventType: 'GUARD_BYPASSED';
  guard: Guard;
  /** The record that went through the guard. */
  deployment: Deployment;
  /** The override it carried; null for an after-the-fact DEPLOYED or FAILED record, which needs none. */
  override: Override | null;
  /** The hold that was bypassed (guard `hold`); null for `known-bad`. For the people reading it. */
  hold: Hold | null;
}

export interface ReadinessLost extends MessageBase {
  eventType: 'ROLLBACK_READINESS_LOST';
  readiness: ReadinessSummary;
  /** The FAILED checks, with why: what would make a rollback fail now. */
  checks: ReadinessCheck[];
}

export interface ReadinessRestored extends MessageBase {
  eventType: 'ROLLBACK_READINESS_RESTORED';
  readiness: ReadinessSummary;
}

export type EnvironmentMessage =
  | EnvironmentHeld
  | EnvironmentReleased
  | GuardBypassed
  | ReadinessLost
  | ReadinessRestored;

/** An environment was held (by a rollback, or by a person). */
export function environmentHeld(stamp: Stamp, environment: string, hold: Hold): OutboxEvent {
  return {
    subject: subject(`[${environment}] held: no forward deployments until released`),
    message: { version: 1, ...stamp, eventType: 'ENVIRONMENT_HELD', environment, hold },
  };
}

/** A person released an environment's hold. */
export function environmentReleased(stamp: Stamp, environment: string, hold: Hold, release: Release): OutboxEvent {
  return {
    subject: subject(`[${environment}] released: forward deployments allowed again`),
    message: { version: 1, ...stamp, eventType: 'ENVIRONMENT_RELEASED', environment, hold, ...release },
  };
}

/** A record went through a guard: an override, or an after-the-fact record a guard does not refuse. */
export function guardBypassed(
  stamp: Stamp,
  deployment: Deployment,
  guard: Guard,
  override: Override | null,
  hold: Hold | null,
): OutboxEvent {
  return {
    subject: subject(
      `[${deployment.environment}] guard ${guard} bypassed: ${deployment.imageTag} ${deployment.status}`,
    ),
    message: {
      version: 1,
      ...stamp,
      eventType: 'GUARD_BYPASSED',
      environment: deployment.environment,
      guard,
      deployment,
      override,
      hold,
    },
  };
}

/** An environment that was ready no longer is: a rollback would fail now. */
export function readinessLost(
  stamp: Stamp,
  environment: string,
  readiness: ReadinessSummary,
  checks: ReadinessCheck[],
): OutboxEvent {
  return {
    subject: subject(`[${environment}] ROLLBACK READINESS LOST: ${readiness.failing.join(', ')}`),
    message: { version: 1, ...stamp, eventType: 'ROLLBACK_READINESS_LOST', environment, readiness, checks },
  };
}

/** An environment that had lost readiness is ready again. */
export function readinessRestored(stamp: Stamp, environment: string, readiness: ReadinessSummary): OutboxEvent {
  return {
    subject: subject(`[${environment}] rollback readiness restored`),
    message: { version: 1, ...stamp, eventType: 'ROLLBACK_READINESS_RESTORED', environment, readiness },
  };
}
