import { createHash } from 'node:crypto';
import { authorize } from '../access-policy.js';
import type { AlarmRef } from '../alarm.js';
import { NoRedeployTargetError, RunActiveError } from '../errors.js';
import { planRollback } from '../rollback-target.js';
import { newRun, type Run } from '../run.js';
import { rollbackStarted } from '../run-notifications.js';
import type { StartRunPorts } from '../run-ports.js';

export interface StartRunRequest {
  environment: string;
  reason: string;
  /** Default: the rollback target rule (rollback-target.ts). */
  targetImageTag?: string | undefined;
  /** The deployment the caller vetted (the alarm path): refused (409) when another one is now the most recent. */
  currentId?: string | undefined;
  trigger: Run['trigger'];
  alarm: AlarmRef | null;
  /** The authenticated caller, or `auto-rollback:<alarm>`. */
  by: string;
  /** The alarm change's identity: one start per change. */
  dedupKey?: string | undefined;
  idempotencyKey?: string | undefined;
}

/**
 * Starts a rollback run.
 *
 * 1. An Idempotency-Key used before returns the first answer again, the run as it was started
 *    (its current state is at its own URL), or 409 for another request body.
 * 2. Refuses an environment without a redeploy target (409), and one where a run is already
 *    RUNNING (409 with its runId; the start transaction settles the race for good).
 * 3. The rollback target rule (rollback-target.ts) for acting, `targetImageTag` its explicit
 *    tag: a current deployment that is not DEPLOYED or is itself a rollback is 409; nothing
 *    to roll back to (no deployment, no target, a tag with no record there, never DEPLOYED
 *    there, known bad, or the current one's) is 404.
 * 5. Writes the run (every step PENDING), its claims and ROLLBACK_STARTED in ONE transaction
 *    (RunStore.start); an Idempotency-Key replay returns the first run.
 * 6. Launches the workflow. The launch is idempotent per run id, so a replayed request that
 *    launches again starts nothing twice.
 */
export async function startRun(
  ports: StartRunPorts,
  request: StartRunRequest,
): Promise<{ run: Run; replayed: boolean }> {
  const { environment } = request;
  // Under an access policy, starting a run is a rollback of the environment (the alarm path is exempt: its ports carry none).
  authorize(ports, environment, 'rollback');
  const idempotency = request.idempotencyKey
    ? { key: request.idempotencyKey, fingerprint: fingerprint(request) }
    : undefined;
  if (idempotency) {
    const earlier = await ports.runs.replayOf(idempotency);
    if (earlier) return { run: earlier, replayed: true };
  }
  if (!Object.hasOwn(ports.targets, environment)) {
    throw new NoRedeployTargetError(
      `Environment ${environment} has no redeploy target configured (REDEPLOY_TARGETS), so the service cannot redeploy it; roll back with POST .../tag/{imageTag}/rollback and your pipeline instead.`,
    );
  }
  const active = await ports.runs.activeRun(environment);
  if (active) throw new RunActiveError(active, `Rollback run ${active} is already RUNNING in ${environment}.`);

  const { current, target } = await planRollback(ports.deployments, {
    environment,
    purpose: 'act',
    targetTag: request.targetImageTag,
    currentId: request.currentId,
  });

  const at = ports.now().toISOString();
  const run = newRun({
    id: ports.newId(),
    environment,
    trigger: request.trigger,
    alarm: request.alarm,
    requestedBy: request.by,
    reason: request.reason,
    current,
    target,
    startedAt: at,
  });
  const started = await ports.runs.start(
    run,
    {
      deploymentId: current.id,
      dedupKey: request.dedupKey,
      idempotency,
    },
    [rollbackStarted({ eventId: ports.newId(), occurredAt: at }, run)],
  );
  if (started.run.status === 'RUNNING') await ports.launcher.launch(started.run);
  return started;
}

function fingerprint(request: StartRunRequest): string {
  const { environment, reason, targetImageTag } = request;
  return createHash('sha256')
    .update(JSON.stringify([environment, reason, targetImageTag ?? null]))
    .digest('hex');
}
