/**
 * The builders of the third round's notifications (docs/NOTIFICATIONS.md, "Messages"): an
 * environment held and released, a guard bypassed, rollback readiness lost and restored. Their
 * messages are declared in notifications.ts, the shapes they carry in guards.ts. Like every
 * message, they are written to the outbox in the same transaction as the change they report,
 * and go out on the rollback topic (JSON) and the chat topic (rendered by chat-notification.ts).
 *
 * Who emits them: markRolledBack (use-cases/rollback-deployment.ts) ENVIRONMENT_HELD for a
 * rollback's hold, hold-environment.ts the manual hold and the release, record-deployment.ts
 * GUARD_BYPASSED; the readiness pair will be the readiness refresh's. The shapes are the contract's,
 * so every renderer of these messages agrees with their writers.
 */
import type { Deployment } from './deployment.js';
import type { Guard, Hold, Override, ReadinessCheck, ReadinessSummary, Release } from './guards.js';
import { type OutboxEvent, type Stamp, subject } from './notifications.js';

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
