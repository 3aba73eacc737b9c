import { createHash } from 'node:crypto';
import { authorize } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { ConflictError, NoRedeployTargetError, NotFoundError, RunActiveError } from '../errors.js';
import type { AlarmRef } from '../notifications.js';
import { newRun, type Run } from '../run.js';
import { rollbackStarted } from '../run-notifications.js';
import type { StartRunPorts } from '../run-ports.js';
import { findRollbackTarget } from './find-rollback-target.js';

export interface StartRunRequest {
  environment: string;
  reason: string;
  /** Default: the rollback target rule (findRollbackTarget). */
  targetImageTag?: string | undefined;
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
 * 3. Refuses a current deployment that is itself a rollback (no rollback of a rollback), or
 *    one that is not DEPLOYED (409).
 * 4. Finds the target (the rollback target rule, or the most recent DEPLOYED record of
 *    `targetImageTag` older than current): none, or no deployment at all, is 404.
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

  const current = (await ports.deployments.page(environment, { limit: 1 })).items[0];
  if (!current) throw new NotFoundError(`No deployments in ${environment}.`);
  if (current.rollbackOf) {
    throw new ConflictError(
      `${current.imageTag} (${current.id}) is itself a rollback (of ${current.rollbackOf}); a run never rolls back a rollback.`,
    );
  }
  if (current.status !== 'DEPLOYED') {
    throw new ConflictError(
      `${current.imageTag} (${current.id}) is ${current.status}; only a DEPLOYED deployment is rolled back.`,
    );
  }
  const target = await chooseTarget(ports, current, request.targetImageTag);

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

async function chooseTarget(
  ports: StartRunPorts,
  current: Deployment,
  targetImageTag: string | undefined,
): Promise<Deployment> {
  if (!targetImageTag) {
    const found = await findRollbackTarget(ports, current.environment, current.imageTag);
    if (found.current.id !== current.id)
      throw new ConflictError(`${current.environment} changed while the run was started; try again.`);
    return found.target;
  }
  let past = false;
  for await (const record of ports.deployments.iterate(current.environment)) {
    if (record.id === current.id) past = true;
    else if (past && record.imageTag === targetImageTag && record.status === 'DEPLOYED') return record;
  }
  throw new NotFoundError(`No earlier DEPLOYED record of ${targetImageTag} in ${current.environment} to roll back to.`);
}

function fingerprint(request: StartRunRequest): string {
  const { environment, reason, targetImageTag } = request;
  return createHash('sha256')
    .update(JSON.stringify([environment, reason, targetImageTag ?? null]))
    .digest('hex');
}
