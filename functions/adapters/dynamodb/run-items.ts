/**
 * The runs' keys (see table-schema.ts): runs live in their environment's partition, newest
 * last by ULID, with an id pointer for reads by id; a deployment's claim makes it one run's.
 */
import type { Run } from '../../core/run.js';

/** A run in its environment's partition; its id pointer; the claim of the deployment it rolls back. */
export const runKey = (environment: string, id: string) => ({ PK: `RUNS#${environment}`, SK: `RUN#${id}` });
export const pointerKey = (id: string) => ({ PK: `RUN#${id}`, SK: 'RUN' });
export const claimKey = (deploymentId: string) => ({ PK: `RUNCLAIM#${deploymentId}`, SK: 'RUNCLAIM' });
/** Namespaced apart from record creation's keys: one key may be used on both routes. */
export const runIdempotencyKey = (key: string) => ({ PK: `IDEMPOTENCY#rollbacks#${key}`, SK: 'IDEMPOTENCY' });

/** The run's item: the run itself, and its status and start kept as attributes for conditions. */
export function runItem(run: Run) {
  return {
    ...runKey(run.environment, run.id),
    entity: 'run',
    id: run.id,
    status: run.status,
    startedAt: run.startedAt,
    run,
  };
}
