/**
 * The rollback run's notifications: ROLLBACK_STARTED, ROLLBACK_SUCCEEDED, ROLLBACK_FAILED.
 * Written to the outbox in the same transaction as the run change they report.
 */
import { type OutboxEvent, type Stamp, subject } from './notifications.js';
import type { Run } from './run.js';

/** A run began (written with the run itself). */
export function rollbackStarted(stamp: Stamp, run: Run): OutboxEvent {
  return {
    subject: subject(`[${run.environment}] rollback run started: ${run.current.imageTag} -> ${run.target.imageTag}`),
    message: { version: 1, ...stamp, eventType: 'ROLLBACK_STARTED', environment: run.environment, run },
  };
}

/** A run ended: SUCCEEDED (healthy) or FAILED (with the failed step; people must act). */
export function rollbackEnded(stamp: Stamp, run: Run): OutboxEvent {
  if (run.status === 'SUCCEEDED') {
    return {
      subject: subject(`[${run.environment}] rollback to ${run.target.imageTag} succeeded`),
      message: { version: 1, ...stamp, eventType: 'ROLLBACK_SUCCEEDED', environment: run.environment, run },
    };
  }
  const failure = run.failure ?? { step: 'verify', detail: 'the run failed' };
  return {
    subject: subject(`[${run.environment}] ROLLBACK FAILED at ${failure.step}: people must act`),
    message: { version: 1, ...stamp, eventType: 'ROLLBACK_FAILED', environment: run.environment, run, failure },
  };
}
