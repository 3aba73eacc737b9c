import type { AlarmRef } from '../alarm.js';
import type { Deployment } from '../deployment.js';
import { environmentHeld } from '../environment-notifications.js';
import { TransitionConflictError } from '../errors.js';
import { holdsAfterRollback, rollbackHold } from '../guards.js';
import { deploymentRolledBack, type OutboxEvent } from '../notifications.js';
import type { HoldWrite, WritePorts } from '../ports.js';
import { resolveTag } from './resolve-tag.js';

export interface RollbackRequest {
  imageTag: string;
  environment?: string | undefined;
  reason?: string | undefined;
  /** The authenticated caller, or `auto-rollback:<alarm>` for the automated path. */
  by: string;
}

/**
 * Marks a deployment ROLLED_BACK.
 *
 * 1. Resolves the tag to one record (see resolveTag), reading past the tag index's lag:
 *    unknown is 404, ambiguous is 409. Access: the caller must be allowed to `rollback` in
 *    the record's environment, checked once resolution has found it and before any write (403).
 * 2. Refuses anything but DEPLOYED with TransitionConflictError carrying the status.
 * 3. Writes the change conditionally on `status = DEPLOYED`, together with its
 *    DEPLOYMENT_ROLLED_BACK notification in the outbox: of concurrent callers exactly one
 *    wins, and the notification cannot be lost between the write and the publish. The same
 *    write holds the environment (markRolledBack).
 */
export async function rollbackDeployment(
  ports: WritePorts<'markRolledBack'>,
  request: RollbackRequest,
): Promise<Deployment> {
  const record = await resolveTag(ports, request.imageTag, request.environment, { fresh: true, action: 'rollback' });
  return markRolledBack(ports, record, { by: request.by, reason: request.reason ?? null, alarm: null });
}

/**
 * The shared last step of every rollback, manual or automated (the tag route, the alarm path, a
 * run's mark step): the conditional write and its notification(s). `extraEvents` go out in the
 * same transaction (e.g. ROLLBACK_REQUESTED). Unless `holdAfterRollback` leaves the environment
 * out, the same transaction holds it (cause `rollback`, with ENVIRONMENT_HELD); an environment
 * already held keeps its hold and no second ENVIRONMENT_HELD is written (the store's condition).
 */
export async function markRolledBack(
  ports: WritePorts<'markRolledBack'>,
  record: Deployment,
  how: {
    by: string;
    reason: string | null;
    alarm: AlarmRef | null;
    dedupKey?: string;
    extraEvents?: (rolledBack: Deployment) => OutboxEvent[];
    /** The rollback run that rolls it back (its mark step), for the hold's cause. */
    runId?: string | null;
  },
): Promise<Deployment> {
  if (record.status !== 'DEPLOYED') {
    throw new TransitionConflictError(
      record.status,
      `Deployment ${record.id} (${record.imageTag} in ${record.environment}) is ${record.status}; only a DEPLOYED deployment can be rolled back.`,
    );
  }
  const at = ports.now().toISOString();
  const rolledBack: Deployment = {
    ...record,
    status: 'ROLLED_BACK',
    rolledBackAt: at,
    rolledBackBy: how.by,
    rollbackReason: how.reason,
    updatedAt: at,
  };
  const events = [
    deploymentRolledBack({ eventId: ports.newId(), occurredAt: at }, rolledBack, how.alarm),
    ...(how.extraEvents?.(rolledBack) ?? []),
  ];
  let hold: HoldWrite | undefined;
  if (holdsAfterRollback(ports.holdAfterRollback, record.environment)) {
    const value = rollbackHold(rolledBack, how.runId ?? null);
    hold = {
      hold: value,
      event: environmentHeld({ eventId: ports.newId(), occurredAt: at }, record.environment, value),
    };
  }
  return ports.deployments.markRolledBack(rolledBack, { events, dedupKey: how.dedupKey, hold });
}
