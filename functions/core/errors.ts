/**
 * Domain errors. Each one carries what a caller needs to act on it; the single HTTP error
 * mapper (lib/http.ts) turns them into problem+json responses. Anything that is not one of
 * these is a fault of the service and becomes a generic 500.
 */
import type { Status } from './deployment.js';
import type { Hold } from './guards.js';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * How much of a caller's input an error may echo: a problem names the field and the value
 * that broke the contract, but a 9,000-character parameter name must not come back twice in
 * an 18 KB answer. Every contract field's name, and every valid value (an image tag is at most
 * 128 characters, a path at most about 170), is shorter, so normal input is echoed whole.
 */
export const ECHO_LIMITS = { field: 100, message: 300, value: 200, errors: 100 } as const;

/** `text`, or its first `max` characters and an ellipsis when it is longer. */
export function clip(text: string, max: number = ECHO_LIMITS.value): string {
  if (text.length <= max) return text;
  // Never end on half of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra problem members (RFC 9457 extensions). */
  extensions(): Record<string, unknown> {
    return {};
  }
}

/**
 * Input that breaks the contract: a field, a query parameter, the body itself. Each field
 * name and message is clipped (ECHO_LIMITS), and at most 100 errors are listed, the detail
 * saying how many more there were: a body of 64 KiB of unknown members gets a short answer.
 */
export class InvalidInputError extends DomainError {
  readonly status = 400;
  readonly title = 'Invalid input';
  readonly errors: FieldError[];
  constructor(errors: FieldError[], detail?: string) {
    const shown = errors
      .slice(0, ECHO_LIMITS.errors)
      .map((e) => ({ field: clip(e.field, ECHO_LIMITS.field), message: clip(e.message, ECHO_LIMITS.message) }));
    const more = errors.length - shown.length;
    super(
      detail ?? `${shown.map((e) => `${e.field}: ${e.message}`).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    );
    this.errors = shown;
  }
  override extensions() {
    return { errors: this.errors };
  }
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly title: string = 'Not found';
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly title: string = 'Conflict';
}

/** A refusal of the rollback target rule (core/rollback-target.ts): its kind and its reason as a clause. */
export interface RefusalOf {
  kind: string;
  reason: string;
}

/** Nothing (acceptable) to roll back to: no record, no earlier good version, a known-bad tag. */
export class NothingToRollBackError extends NotFoundError {
  constructor(
    readonly refusal: RefusalOf,
    detail: string,
  ) {
    super(detail);
  }
}

/** The current deployment must not be rolled back (not DEPLOYED, itself a rollback), or changed meanwhile. */
export class RollbackRefusedError extends ConflictError {
  constructor(
    readonly refusal: RefusalOf,
    detail: string,
  ) {
    super(detail);
  }
}

/** The record is not in a status the requested transition starts from. */
export class TransitionConflictError extends ConflictError {
  override readonly title = 'Status transition not allowed';
  constructor(
    readonly currentStatus: Status,
    detail: string,
  ) {
    super(detail);
  }
  override extensions() {
    return { currentStatus: this.currentStatus };
  }
}

/** An image tag without an environment matched records in several environments. */
export class AmbiguousTagError extends ConflictError {
  override readonly title = 'Image tag is deployed in several environments';
  constructor(
    readonly imageTag: string,
    readonly environments: string[],
  ) {
    super(`Image tag ${imageTag} has records in ${environments.join(', ')}; give the environment to choose one.`);
  }
  override extensions() {
    return { environments: this.environments };
  }
}

/**
 * A dependency of the service (the table) did not answer in time or refused for now
 * (timeouts, throttling, a 5xx, a refused connection), after the client's bounded retries.
 * Nothing the caller did wrong: a 503 with Retry-After, so a retry (with the same
 * Idempotency-Key, for a write) is safe and expected. The adapter that saw the fault raises
 * it; the cause is logged, never echoed.
 */
export class DependencyUnavailableError extends DomainError {
  readonly status = 503;
  readonly title = 'Service temporarily unavailable';
  constructor(
    readonly dependency: string,
    /** Seconds a caller should wait before retrying (the Retry-After header). */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(
      `${dependency} did not answer in time or is unavailable; retry after ${retryAfterSeconds} s (a write retried with the same Idempotency-Key lands once).`,
      options,
    );
  }
}

/** An Idempotency-Key was reused with a different request body. */
export class IdempotencyConflictError extends ConflictError {
  override readonly title = 'Idempotency key reused with a different request';
}

/** A trigger (e.g. one alarm state change) was already acted on: nothing was written. */
export class DuplicateEventError extends Error {
  constructor(readonly dedupKey: string) {
    super(`event ${dedupKey} was already handled`);
  }
}

/** Another rollback run is RUNNING in the environment (one at a time). */
export class RunActiveError extends ConflictError {
  override readonly title = 'A rollback run is already running';
  constructor(
    readonly runId: string,
    detail: string,
  ) {
    super(detail);
  }
  override extensions() {
    return { runId: this.runId };
  }
}

/** The deployment already has a rollback run (one run per failed deployment). */
export class DeploymentClaimedError extends ConflictError {
  override readonly title = 'This deployment already has a rollback run';
  constructor(
    readonly runId: string,
    detail: string,
  ) {
    super(detail);
  }
  override extensions() {
    return { runId: this.runId };
  }
}

/** The environment has no redeploy target, so the service cannot roll it back by itself. */
export class NoRedeployTargetError extends ConflictError {
  override readonly title = 'No redeploy target configured';
}

/** The environment is held: forward starts are refused (409 environment-held); also a second hold. */
export class EnvironmentHeldError extends ConflictError {
  override readonly title = 'Environment held';
  constructor(
    readonly hold: Hold,
    detail: string,
  ) {
    super(detail);
  }
  override extensions() {
    return { hold: this.hold };
  }
}

/** A release of an environment that is not held. */
export class NotHeldError extends ConflictError {
  override readonly title = 'Environment not held';
}

/** The tag is known bad in the environment: a forward start of it is refused (409 known-bad-image-tag). */
export class KnownBadImageTagError extends ConflictError {
  override readonly title = 'Known bad image tag';
  constructor(
    /** The ROLLED_BACK record that makes it known bad. */
    readonly deploymentId: string,
    detail: string,
  ) {
    super(detail);
  }
  override extensions() {
    return { deploymentId: this.deploymentId };
  }
}

/**
 * A guarded create found the environment changed between the guards' read and the write (a hold
 * or a rollback landed): nothing was written, and the use case decides again.
 */
export class GuardChangedError extends Error {
  constructor(readonly environment: string) {
    super(`the guards of ${environment} changed while a deployment was being recorded`);
  }
}
