/**
 * The ports of rollback runs, on top of Ports (ports.ts): where runs are kept, how a run's
 * workflow is launched, how the checks look up an image, and how health is verified.
 */

import type { OutboxEvent } from './notifications.js';
import type { Ports, Position, ReadPorts } from './ports.js';
import type { Redeployer } from './redeploy/port.js';
import type { RedeployTarget, VerifyConfig } from './redeploy/targets.js';
import type { Run } from './run.js';
import type { ImageRegistry } from './safety.js';

export interface RunPage {
  items: Run[];
  hasMore: boolean;
}

/** What makes a run the only one of its kind: settled by conditional writes in the store. */
export interface RunClaims {
  /** The deployment being rolled back: one run per failed deployment. */
  deploymentId: string;
  /** An alarm state change's identity (dedupKeyOf): one start per change. */
  dedupKey?: string | undefined;
  /** An Idempotency-Key of POST .../rollbacks, with the request's fingerprint. */
  idempotency?: { key: string; fingerprint: string } | undefined;
}

/** Reading runs: by id, an environment's page, and what a start looks up first. */
export interface RunReads {
  get(id: string): Promise<Run | undefined>;
  /**
   * The run a POST with this Idempotency-Key started, as it was when first answered (not as it
   * is now), when the key was used before with the same fingerprint; IdempotencyConflictError
   * when it was used with another request.
   */
  replayOf(idempotency: { key: string; fingerprint: string }): Promise<Run | undefined>;
  /** The id of the environment's RUNNING run, if any. */
  activeRun(environment: string): Promise<string | undefined>;
  /** An environment's runs, newest first, strictly after `after` (startedAt, id). */
  page(environment: string, options: { limit: number; after?: Position | undefined }): Promise<RunPage>;
}

/** Starting a run (the routes and the alarm path). */
export interface RunStarts extends RunReads {
  /**
   * Writes a new RUNNING run, in ONE transaction with: the environment's `activeRun` claim
   * (RunActiveError when another run is RUNNING there), the deployment's claim
   * (DeploymentClaimedError naming the run that has it), the alarm change's claim
   * (DuplicateEventError), the idempotency key (a replay returns the first run), and `events`.
   */
  start(run: Run, claims: RunClaims, events: OutboxEvent[]): Promise<{ run: Run; replayed: boolean }>;
}

/** Everything done with runs, their progress and end too (the workflow). */
export interface RunStore extends RunStarts {
  /** Stores a RUNNING run's progress (a no-op once the run has ended). */
  save(run: Run): Promise<void>;
  /**
   * Ends the run: stores it final, releases the environment's `activeRun`, and writes
   * `events`, in one transaction. Ending a run that already ended changes nothing (a replay).
   */
  finish(run: Run, events: OutboxEvent[]): Promise<void>;
}

/** Starts a run's workflow (Lambda async invoke of the durable function; the local runner locally). */
export interface RunLauncher {
  launch(run: Run): Promise<void>;
}

/** One look at an environment's health: its verify alarms (AWS) or its health URL (local mode). */
export interface HealthSignal {
  check(environment: string, verify: VerifyConfig): Promise<{ healthy: boolean; detail: string }>;
}

/** Everything a run's steps need. */
export interface RunPorts extends Ports {
  runs: RunStore;
  /** Environment → its redeploy target configuration (REDEPLOY_TARGETS). */
  targets: Readonly<Record<string, RedeployTarget>>;
  /** The adapter for a target (built once per cold start). */
  redeployerFor(environment: string, target: RedeployTarget): Redeployer;
  images: ImageRegistry;
  health: HealthSignal;
}

/** What starting a run needs (the routes and the alarm path). */
export interface StartRunPorts extends ReadPorts {
  /** The new run's id. */
  newId: () => string;
  runs: RunStarts;
  targets: Readonly<Record<string, RedeployTarget>>;
  launcher: RunLauncher;
}
