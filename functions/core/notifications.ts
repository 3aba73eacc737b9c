/**
 * The rollback topic's messages (docs/NOTIFICATIONS.md, "Messages"). Core builds them; the
 * store writes them to the outbox in the same transaction as the change they report, and
 * the notifier publishes them. Bodies are versioned so subscribers can evolve safely.
 */
import type { AlarmRef } from './alarm.js';
import type { Deployment } from './deployment.js';
import type { Guard, Hold, Override, ReadinessCheck, ReadinessSummary } from './guards.js';
import type { Run } from './run.js';

export const EVENT_TYPES = [
  'DEPLOYMENT_ROLLED_BACK',
  'ROLLBACK_REQUESTED',
  'AUTO_ROLLBACK_SKIPPED',
  'ROLLBACK_STARTED',
  'ROLLBACK_SUCCEEDED',
  'ROLLBACK_FAILED',
  // The third round's (environment-notifications.ts).
  'ENVIRONMENT_HELD',
  'ENVIRONMENT_RELEASED',
  'GUARD_BYPASSED',
  'ROLLBACK_READINESS_LOST',
  'ROLLBACK_READINESS_RESTORED',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What every message carries. */
export interface MessageBase {
  version: 1;
  eventId: string;
  eventType: EventType;
  environment: string;
  occurredAt: string;
}

export interface DeploymentRolledBack extends MessageBase {
  eventType: 'DEPLOYMENT_ROLLED_BACK';
  trigger: 'manual' | 'alarm';
  alarm: AlarmRef | null;
  deployment: Deployment;
}

export interface RollbackRequested extends MessageBase {
  eventType: 'ROLLBACK_REQUESTED';
  targetImageTag: string;
  alarm: AlarmRef | null;
  current: Deployment;
  target: Deployment;
}

export interface AutoRollbackSkipped extends MessageBase {
  eventType: 'AUTO_ROLLBACK_SKIPPED';
  reason: string;
  alarm: AlarmRef;
  current: Deployment | null;
}

/** A rollback run began, ended healthy, or ended failed (run-notifications.ts builds them). */
export interface RunMessage extends MessageBase {
  eventType: 'ROLLBACK_STARTED' | 'ROLLBACK_SUCCEEDED' | 'ROLLBACK_FAILED';
  run: Run;
  /** ROLLBACK_FAILED only: the failed step and why (people must act). */
  failure?: { step: string; detail: string };
}

/** The third round's messages (environment-notifications.ts builds them; nothing publishes them yet). */
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

export type RollbackMessage =
  | DeploymentRolledBack
  | RollbackRequested
  | AutoRollbackSkipped
  | RunMessage
  | EnvironmentMessage;

/** A message waiting in the outbox: what to publish, and the subject line people see. */
export interface OutboxEvent {
  subject: string;
  message: RollbackMessage;
}

/** A message's identity and time, given by the use case that writes it. */
export type Stamp = { eventId: string; occurredAt: string };

/** SNS subjects are at most 100 printable ASCII characters. */
export function subject(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

export function deploymentRolledBack(stamp: Stamp, deployment: Deployment, alarm: AlarmRef | null): OutboxEvent {
  return {
    subject: subject(`[${deployment.environment}] ${deployment.imageTag} rolled back`),
    message: {
      version: 1,
      ...stamp,
      eventType: 'DEPLOYMENT_ROLLED_BACK',
      environment: deployment.environment,
      trigger: alarm ? 'alarm' : 'manual',
      alarm,
      deployment,
    },
  };
}

export function rollbackRequested(
  stamp: Stamp,
  current: Deployment,
  target: Deployment,
  alarm: AlarmRef | null,
): OutboxEvent {
  return {
    subject: subject(`[${current.environment}] redeploy ${target.imageTag} to replace ${current.imageTag}`),
    message: {
      version: 1,
      ...stamp,
      eventType: 'ROLLBACK_REQUESTED',
      environment: current.environment,
      targetImageTag: target.imageTag,
      alarm,
      current,
      target,
    },
  };
}

export function autoRollbackSkipped(
  stamp: Stamp,
  environment: string,
  reason: string,
  alarm: AlarmRef,
  current: Deployment | null,
): OutboxEvent {
  return {
    subject: subject(`[${environment}] auto-rollback skipped: ${alarm.name}`),
    message: {
      version: 1,
      ...stamp,
      eventType: 'AUTO_ROLLBACK_SKIPPED',
      environment,
      reason,
      alarm,
      current,
    },
  };
}
