/**
 * The steps of a rollback run, as use cases over RunPorts. The durable workflow
 * (functions/events/rollback-run.ts) calls each inside its own durable step; these functions
 * hold all the logic, and each is safe to repeat: the engine replays a step whose result was
 * not checkpointed (a crash after its side effect), so every side effect is keyed by the run.
 *
 * Each step takes the run as the previous step left it and returns the run as it leaves it,
 * after storing it (so GET .../rollbacks/{id} shows the step's progress).
 */
import type { Deployment } from '../deployment.js';
import { DuplicateEventError, TransitionConflictError } from '../errors.js';
import type { RedeployHandle, RedeployProgress, RedeployRequest } from '../redeploy/port.js';
import type { RedeployTarget } from '../redeploy/targets.js';
import { chooseRollbackTarget, currentRefusal, isTargetRefusal, storedHistory } from '../rollback-target.js';
import { failedAt, type Run, type StepName, stepOf, withStep } from '../run.js';
import { rollbackEnded } from '../run-notifications.js';
import type { RunPorts } from '../run-ports.js';
import { safetyChecks } from '../safety.js';
import { markRolledBack } from './rollback-deployment.js';

const at = (ports: RunPorts) => ports.now().toISOString();

function targetOf(ports: RunPorts, run: Run): RedeployTarget {
  const target = ports.targets[run.environment];
  if (!target) throw new Error(`environment ${run.environment} has no redeploy target configured any more`);
  return target;
}

/** The step RUNNING (its first start time kept on a replay), stored. */
async function begin(ports: RunPorts, run: Run, name: StepName): Promise<Run> {
  const step = stepOf(run, name);
  const next = withStep(run, name, { status: 'RUNNING', startedAt: step.startedAt ?? at(ports) });
  await ports.runs.save(next);
  return next;
}

async function succeed(ports: RunPorts, run: Run, name: StepName, detail: string, extra: Partial<Run> = {}) {
  const next = { ...withStep(run, name, { status: 'SUCCEEDED', endedAt: at(ports), detail }), ...extra };
  await ports.runs.save(next);
  return next;
}

async function fail(ports: RunPorts, run: Run, name: StepName, detail: string, extra: Partial<Run> = {}) {
  const next = { ...failedAt(run, name, detail, at(ports)), ...extra };
  await ports.runs.save(next);
  return next;
}

async function recordsOf(ports: RunPorts, run: Run): Promise<{ current?: Deployment; target?: Deployment }> {
  const [current, target] = await Promise.all([
    ports.deployments.get(run.current.id),
    ports.deployments.get(run.target.id),
  ]);
  return { current, target };
}

const describe = (d: { imageTag: string; id: string }) => `${d.imageTag} (${d.id})`;

/**
 * 1 identify: the current deployment is still the environment's newest, still DEPLOYED and
 * not itself a rollback; the target record exists. Reads only.
 */
export async function identifyStep(ports: RunPorts, input: Run): Promise<Run> {
  const run = await begin(ports, input, 'identify');
  const { current, target } = await recordsOf(ports, run);
  if (!current) return fail(ports, run, 'identify', `the current deployment ${run.current.id} no longer exists`);
  if (!target) return fail(ports, run, 'identify', `the target deployment ${run.target.id} no longer exists`);
  const refused = currentRefusal(current, 'act');
  if (refused) return fail(ports, run, 'identify', refused.reason);
  const newest = (await ports.deployments.page(run.environment, { limit: 1 })).items[0];
  if (newest && newest.id !== current.id) {
    return fail(
      ports,
      run,
      'identify',
      `${describe(newest)} was deployed after ${describe(current)}; not rolling back`,
    );
  }
  return succeed(ports, run, 'identify', `roll back ${describe(current)} to ${describe(target)}`);
}

/**
 * 2 checks: the rollback target rule again, for the run's target tag (still the newest
 * deployment, still a target: not rolled back meanwhile, not known bad), then the safety
 * checks of core/safety.ts over its answer: the target record, its image still in ECR with
 * the recorded digest (where the environment names a repository), the notes and the
 * irreversible migrations of the deployments between. Reads only; a refused target or a
 * failed check ends the run with nothing changed.
 */
export async function checksStep(ports: RunPorts, input: Run): Promise<Run> {
  const run = await begin(ports, input, 'checks');
  const answer = await chooseRollbackTarget(storedHistory(ports.deployments, run.environment), {
    environment: run.environment,
    purpose: 'act',
    currentId: run.current.id,
    targetTag: run.target.imageTag,
  });
  if (!answer.ok && !isTargetRefusal(answer.refusal)) return fail(ports, run, 'checks', answer.refusal.reason);
  if (answer.ok && answer.target.id !== run.target.id) {
    return fail(
      ports,
      run,
      'checks',
      `the rollback target rule now gives ${describe(answer.target)} for ${run.target.imageTag}, not the run's ${run.target.id}`,
    );
  }
  const results = await safetyChecks(ports, answer.ok ? answer : answer.refusal, {
    environment: run.environment,
    repository: targetOf(ports, run).ecrRepository,
  });
  const failed = results.filter((c) => c.status === 'failed');
  const summary = results.map((c) => `${c.name}: ${c.status} (${c.detail})`).join('; ');
  if (failed.length > 0) {
    const items = failed.flatMap((c) => c.items);
    return fail(ports, run, 'checks', `${summary}${items.length ? `; ${items.join('; ')}` : ''}`);
  }
  return succeed(ports, run, 'checks', summary);
}

/**
 * 3 mark: the current deployment ROLLED_BACK with DEPLOYMENT_ROLLED_BACK (markRolledBack),
 * claimed under the run's own key so a replay finds its own write instead of writing again.
 */
export async function markStep(ports: RunPorts, input: Run): Promise<Run> {
  const run = await begin(ports, input, 'mark');
  const dedupKey = `RUN#${run.id}#mark`;
  const current = await ports.deployments.get(run.current.id);
  if (!current) return fail(ports, run, 'mark', `the current deployment ${run.current.id} no longer exists`);
  try {
    await markRolledBack(ports, current, {
      by: run.requestedBy,
      reason: run.reason,
      alarm: run.alarm,
      dedupKey,
      runId: run.id,
    });
  } catch (error) {
    if (!(error instanceof TransitionConflictError || error instanceof DuplicateEventError)) throw error;
    // Already ROLLED_BACK: by this run (a replay: its claim exists) or by someone else meanwhile.
    if (!(error instanceof DuplicateEventError) && !(await claimedBefore(ports, dedupKey))) {
      return fail(ports, run, 'mark', `${describe(current)} became ${error.currentStatus} before this run marked it`);
    }
  }
  return succeed(ports, run, 'mark', `${describe(current)} is ROLLED_BACK`);
}

/** Whether the run's claim was written before; claims it if not (then the answer is false). */
async function claimedBefore(ports: RunPorts, dedupKey: string): Promise<boolean> {
  try {
    await ports.deployments.emit([], { dedupKey });
    return false;
  } catch (error) {
    if (error instanceof DuplicateEventError) return true;
    throw error;
  }
}

/** The redeploy as started: what the wait follows. */
export interface StartedRedeploy {
  run: Run;
  request: RedeployRequest;
  handle: RedeployHandle;
}

/**
 * 4 redeploy (start): creates the redeploy record IN_PROGRESS with `rollbackOf` = current
 * (idempotently, keyed by the run: a replay gets the same record), except for the `callback`
 * target, whose pipeline records the redeploy itself; then asks the target to redeploy
 * (Redeployer.start finds a redeploy already started for the run).
 */
export async function startRedeployStep(ports: RunPorts, input: Run): Promise<StartedRedeploy> {
  const run = await begin(ports, input, 'redeploy');
  const config = targetOf(ports, run);
  const { current, target } = await recordsOf(ports, run);
  if (!current || !target) throw new Error('the current or target record vanished after the checks');
  let redeployId = '';
  if (config.via !== 'callback') {
    const now = at(ports);
    const { record } = await ports.deployments.create(
      {
        id: ports.newId(),
        environment: run.environment,
        imageTag: target.imageTag,
        imageDigest: target.imageDigest,
        status: 'IN_PROGRESS',
        deployedAt: now,
        deployedBy: run.requestedBy,
        version: target.version,
        commitSha: target.commitSha,
        commitAt: target.commitAt,
        notes: `Redeploy by rollback run ${run.id}: ${run.reason}`.slice(0, 4096),
        migrations: [],
        pipelineRunUrl: null,
        rollbackOf: current.id,
        rolledBackAt: null,
        rolledBackBy: null,
        rollbackReason: null,
        override: null,
        updatedAt: now,
      },
      { key: `rollback-run#${run.id}#redeploy`, fingerprint: run.id },
    );
    redeployId = record.id;
  }
  const request: RedeployRequest = { runId: run.id, environment: run.environment, target, current, redeployId };
  const handle = await ports.redeployerFor(run.environment, config).start(request);
  const next = {
    ...(handle.detail ? withStep(run, 'redeploy', { detail: handle.detail }) : run),
    redeploy: { via: config.via, deploymentId: redeployId || null, externalId: handle.externalId, url: handle.url },
  };
  await ports.runs.save(next);
  return { run: next, request, handle };
}

/** The redeploy's progress as the wait carries it between looks (checkpointed state). */
export interface RedeployWait {
  looks: number;
  progress: RedeployProgress;
}

/** One look at the redeploy (the wait's check); a fault reading it counts as "still running". */
export async function checkRedeploy(
  ports: RunPorts,
  started: StartedRedeploy,
  state: RedeployWait,
): Promise<RedeployWait> {
  const config = targetOf(ports, started.run);
  try {
    const progress = await ports.redeployerFor(started.run.environment, config).check(started.request, started.handle);
    return { looks: state.looks + 1, progress };
  } catch (error) {
    return {
      looks: state.looks + 1,
      progress: { status: 'RUNNING', detail: `could not read progress: ${message(error)}` },
    };
  }
}

/** Whether to look again, and when: every pollSeconds until done or timeoutMinutes have passed. */
export function redeployWaitStrategy(config: RedeployTarget) {
  const maxLooks = Math.max(1, Math.ceil((config.timeoutMinutes * 60) / config.pollSeconds));
  return (state: RedeployWait) =>
    state.progress.status !== 'RUNNING' || state.looks >= maxLooks
      ? ({ shouldContinue: false } as const)
      : ({ shouldContinue: true, delay: { seconds: config.pollSeconds } } as const);
}

/**
 * 5 record: closes the redeploy step with the target's answer (or its timeout) and records
 * the result: the run's redeploy record finished DEPLOYED or FAILED (a replay that finds it
 * finished already is done); for `callback`, the pipeline's own record with `rollbackOf`
 * is the redeploy. A failed or timed-out redeploy fails the run at `redeploy`.
 */
export async function recordStep(ports: RunPorts, started: StartedRedeploy, wait: RedeployWait): Promise<Run> {
  const config = targetOf(ports, started.run);
  let run = started.run;
  const { progress } = wait;
  const timedOut = progress.status === 'RUNNING';
  const answer = timedOut ? `no result within ${config.timeoutMinutes} minutes (${progress.detail})` : progress.detail;
  // The path the target took (where it has more than one) stays in the step's final detail.
  const redeployDetail = started.handle.detail ? `${started.handle.detail}: ${answer}` : answer;

  if (config.via === 'callback') {
    const recorded = await findRedeployRecord(ports, run);
    if (!recorded || timedOut) {
      run = withStep(run, 'record', { status: 'SKIPPED', detail: 'the pipeline recorded no redeploy' });
      return fail(
        ports,
        run,
        'redeploy',
        `the pipeline recorded no redeploy with rollbackOf ${run.current.id} within ${config.timeoutMinutes} minutes`,
      );
    }
    const redeploy = {
      ...(run.redeploy ?? { via: config.via, externalId: null, url: null }),
      deploymentId: recorded.id,
    };
    run = { ...run, redeploy };
    run = withStep(run, 'record', {
      status: 'SUCCEEDED',
      startedAt: at(ports),
      endedAt: at(ports),
      detail: `recorded by the pipeline: ${describe(recorded)} ${recorded.status}`,
    });
    if (recorded.status !== 'DEPLOYED')
      return fail(ports, run, 'redeploy', `the pipeline recorded ${describe(recorded)} ${recorded.status}`);
    return succeed(ports, run, 'redeploy', redeployDetail);
  }

  const deploymentId = run.redeploy?.deploymentId;
  if (!deploymentId) throw new Error(`run ${run.id} has no redeploy record`);
  const status = progress.status === 'SUCCEEDED' ? 'DEPLOYED' : 'FAILED';
  try {
    await ports.deployments.finish(deploymentId, {
      status,
      notes: `rollback run ${run.id}: ${redeployDetail}`.slice(0, 4096),
      updatedAt: at(ports),
    });
  } catch (error) {
    // A replay: the record was finished by the first attempt.
    if (!(error instanceof TransitionConflictError && error.currentStatus === status)) throw error;
  }
  run = withStep(run, 'record', {
    status: 'SUCCEEDED',
    startedAt: at(ports),
    endedAt: at(ports),
    detail: `${deploymentId} recorded ${status}`,
  });
  if (status === 'FAILED') return fail(ports, run, 'redeploy', redeployDetail);
  return succeed(ports, run, 'redeploy', redeployDetail);
}

/** The pipeline's record of the redeploy: the newest record with `rollbackOf` = current, among those newer than it. */
export async function findRedeployRecord(
  ports: Pick<RunPorts, 'deployments'>,
  run: Pick<Run, 'environment' | 'current'>,
) {
  for await (const record of ports.deployments.iterate(run.environment)) {
    if (record.id === run.current.id) return undefined;
    if (record.rollbackOf === run.current.id) return record;
  }
  return undefined;
}

/** The bake's state between looks (checkpointed). */
export interface BakeState {
  looks: number;
  /** Consecutive healthy looks. */
  healthyLooks: number;
  /** Whether the platform has been healthy since the bake began (then any unhealthy look fails it). */
  baking: boolean;
  outcome: 'pending' | 'healthy' | 'unhealthy';
  detail: string;
}

export const BAKE_START: BakeState = { looks: 0, healthyLooks: 0, baking: false, outcome: 'pending', detail: '' };

/** Whether the environment has a health signal to verify with. */
export function hasHealthSignal(config: RedeployTarget): boolean {
  return config.verify.alarms.length > 0 || config.verify.healthUrl !== undefined;
}

/**
 * One look during the bake. Until the first healthy look the platform may still recover
 * (recoverMinutes); from then on it must stay healthy for bakeMinutes: an unhealthy look
 * during the bake (a flap) fails it. A fault reading the signal counts as no look.
 */
export async function bakeLook(ports: RunPorts, run: Run, state: BakeState): Promise<BakeState> {
  const { verify } = targetOf(ports, run);
  const needed = Math.max(1, Math.ceil((verify.bakeMinutes * 60) / verify.pollSeconds));
  const recoverLooks = Math.max(1, Math.ceil((verify.recoverMinutes * 60) / verify.pollSeconds));
  const looks = state.looks + 1;
  let reading: { healthy: boolean; detail: string };
  try {
    reading = await ports.health.check(run.environment, verify);
  } catch (error) {
    const detail = `could not read health: ${message(error)}`;
    return { ...state, looks, detail, outcome: !state.baking && looks >= recoverLooks ? 'unhealthy' : state.outcome };
  }
  if (reading.healthy) {
    const healthyLooks = state.healthyLooks + 1;
    // The first healthy look starts the bake; it is over `needed` looks (bakeMinutes) later.
    const done = healthyLooks > needed;
    return {
      looks,
      healthyLooks,
      baking: true,
      outcome: done ? 'healthy' : 'pending',
      detail: done ? `healthy for ${verify.bakeMinutes} minutes: ${reading.detail}` : reading.detail,
    };
  }
  if (state.baking) {
    return { ...state, looks, outcome: 'unhealthy', detail: `unhealthy again during the bake: ${reading.detail}` };
  }
  if (looks >= recoverLooks) {
    return {
      ...state,
      looks,
      outcome: 'unhealthy',
      detail: `not healthy within ${verify.recoverMinutes} minutes: ${reading.detail}`,
    };
  }
  return { ...state, looks, detail: reading.detail };
}

/** Look again after pollSeconds until the bake has an outcome. */
export function bakeWaitStrategy(config: RedeployTarget) {
  return (state: BakeState) =>
    state.outcome !== 'pending'
      ? ({ shouldContinue: false } as const)
      : ({ shouldContinue: true, delay: { seconds: config.verify.pollSeconds } } as const);
}

/** 6 verify (begin): the step RUNNING while the bake goes on. */
export async function beginVerifyStep(ports: RunPorts, run: Run): Promise<Run> {
  return begin(ports, run, 'verify');
}

/**
 * 6 verify (end): the bake's outcome. An unhealthy platform fails the run; the redeploy
 * record stays DEPLOYED (that version does run). Without a health signal the step is
 * SKIPPED and says so.
 */
export async function endVerifyStep(ports: RunPorts, run: Run, bake: BakeState | null): Promise<Run> {
  if (!bake) {
    const next = withStep(run, 'verify', {
      status: 'SKIPPED',
      startedAt: stepOf(run, 'verify').startedAt ?? at(ports),
      endedAt: at(ports),
      detail: 'no verify alarms or health URL configured for this environment: health not verified',
    });
    await ports.runs.save(next);
    return next;
  }
  if (bake.outcome === 'healthy') return succeed(ports, run, 'verify', bake.detail);
  return fail(ports, run, 'verify', bake.detail || 'the platform did not become healthy');
}

/** A step's fault that outlived its retries: the run fails there. */
export function faultAt(ports: RunPorts, run: Run, name: StepName, error: unknown): Run {
  return failedAt(run, name, `the step failed: ${message(error)}`, at(ports));
}

/**
 * notify: ends the run SUCCEEDED (no step failed) or FAILED, releases the environment's
 * `activeRun`, and writes ROLLBACK_SUCCEEDED / ROLLBACK_FAILED, in one transaction. A replay
 * finds the run ended and changes nothing.
 */
export async function notifyStep(ports: RunPorts, run: Run): Promise<Run> {
  const endedAt = at(ports);
  const ended: Run = { ...run, status: run.failure ? 'FAILED' : 'SUCCEEDED', endedAt };
  await ports.runs.finish(ended, [rollbackEnded({ eventId: ports.newId(), occurredAt: endedAt }, ended)]);
  return ended;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
