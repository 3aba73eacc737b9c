/**
 * The Redeployer port: how a rollback run puts the target version back. One adapter per kind
 * of redeploy target (functions/adapters/redeploy/<via>.ts), each configured per environment;
 * the workflow (step 3, "redeploy") only ever talks to this interface, so adding a target
 * touches one adapter file and its test.
 *
 * The workflow runs on a durable engine that may replay a step whose result was not yet
 * checkpointed (a crash after the call, before the record). So `start` must find a redeploy
 * it already started for the same `runId` and return that one instead of starting a second.
 */
import type { Deployment } from '../deployment.js';

/** The kinds of redeploy target. `command` exists in local mode only. */
export const REDEPLOY_VIAS = ['callback', 'command', 'ecs', 'codepipeline', 'github-actions'] as const;
export type RedeployVia = (typeof REDEPLOY_VIAS)[number];

/** What a redeploy is asked to do: put `target` back in `environment`, undoing `current`. */
export interface RedeployRequest {
  /** The rollback run: the idempotency token for `start` (a replay passes the same one). */
  runId: string;
  environment: string;
  /** The version to put back (a DEPLOYED record older than `current`). */
  target: Deployment;
  /** The deployment being undone (already ROLLED_BACK when the redeploy starts). */
  current: Deployment;
  /** The id of the new IN_PROGRESS record that stands for this redeploy (`rollbackOf` = current.id). */
  redeployId: string;
}

/** A started redeploy, as the target knows it: what `check` follows, and what people click. */
export interface RedeployHandle {
  via: RedeployVia;
  /** The target's own id of the redeploy (ECS deployment id, pipeline execution id, workflow run id, ...). */
  externalId: string;
  /** A link to the redeploy in the target's console, where there is one. */
  url: string | null;
  /** Adapter-specific state `check` needs (JSON-serialisable: it is checkpointed). */
  state?: Record<string, string | number | boolean | null>;
  /** How the redeploy was started, where a target has more than one way (shown in the redeploy step). */
  detail?: string;
}

/** One look at a redeploy's progress. `detail` is shown in the run's step. */
export type RedeployProgress =
  | { status: 'RUNNING'; detail: string }
  | { status: 'SUCCEEDED'; detail: string }
  | { status: 'FAILED'; detail: string };

export interface Redeployer {
  readonly via: RedeployVia;
  /**
   * Starts the redeploy, or finds the one already started for `request.runId` (idempotent
   * under replay). Throws for a fault worth retrying; a definite refusal by the target is
   * a returned handle whose first `check` reports FAILED, or a RedeployRefusedError.
   */
  start(request: RedeployRequest): Promise<RedeployHandle>;
  /** Reads the redeploy's progress once; the workflow waits between calls. */
  check(request: RedeployRequest, handle: RedeployHandle): Promise<RedeployProgress>;
}

/** The target refused the redeploy outright (bad configuration, missing image): retrying will not help. */
export class RedeployRefusedError extends Error {}
