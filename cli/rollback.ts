/**
 * The five-step rollback as the platform process numbers it, as the `rollback` and `plan`
 * commands run it:
 *
 * 1. identify the target: the service's own rule (functions/core/rollback-target.ts) over
 *    the history read through the API, for the default target or `--to`;
 *    then the safety checks run (functions/core/safety.ts, as a rollback run's), and a
 *    failed one stops the run unless forced with a reason (checks, not a numbered step:
 *    they change nothing);
 * 2. mark the current deployment ROLLED_BACK;
 * 3. deploy the target (the deploy command);
 * 4. record the new deployment, with `rollbackOf` the undone one;
 * 5. verify health: poll the health URL until it answers 2xx enough times in a row.
 *
 * A re-run after a failed deploy resumes: the current deployment is then already
 * ROLLED_BACK, step 2 says so, and the record's idempotency key keeps a retried step 4 from
 * recording twice.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { deployEnvironment, runDeployCommand } from '../functions/adapters/deploy-command.js';
import { EcrImages } from '../functions/adapters/ecr-images.js';
import type { Deployment } from '../functions/core/deployment.js';
import {
  chooseRollbackTarget,
  isTargetRefusal,
  type RecordedHistory,
  refusalError,
} from '../functions/core/rollback-target.js';
import { type CheckResult, type ImageRegistry, safetyChecks, safetyVerdict } from '../functions/core/safety.js';
import { type ApiClient, ApiError, type RecordInput } from './api-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { type HealthResult, pollHealth } from './health.js';
import { formatDuration, MARK, type Output } from './output.js';

export interface RollbackOptions {
  environment: string;
  /** Image tag to roll back to; default: what the rollback-target route picks. */
  to?: string | undefined;
  reason?: string | undefined;
  deployCommand?: string | undefined;
  deployTimeoutMs?: number | undefined;
  healthUrl?: string | undefined;
  health: { successes: number; intervalMs: number; timeoutMs: number };
  dryRun: boolean;
  yes: boolean;
  force: boolean;
  /** The image check's registry: the repository (a name or URI) and the ECR client of its region. */
  ecr?: { client: ECRClient; repository: string } | undefined;
  pipelineRunUrl?: string | undefined;
}

export interface RollbackDeps {
  api: ApiClient;
  out: Output;
  /** Asks a person to confirm; undefined when nobody can answer (no terminal). */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** The environment the deploy command inherits. */
  env?: NodeJS.ProcessEnv;
  /** For the health check (tests may count calls). */
  fetch?: typeof fetch;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'planned';

export interface StepResult {
  step: number;
  name: string;
  status: StepStatus;
  durationMs: number;
  detail: string;
}

/** Everything a run found and did: the --json output, and what tests assert on. */
export interface RollbackReport {
  command: 'rollback' | 'plan';
  ok: boolean;
  exitCode: ExitCode;
  message: string;
  environment: string;
  dryRun: boolean;
  current: Deployment | null;
  target: Deployment | null;
  checks: CheckResult[];
  between: Deployment[];
  forced: { reason: string; overridden: string[] } | null;
  steps: StepResult[];
  record: Deployment | null;
  health: HealthResult | null;
  error: { status: number; title: string; detail: string } | null;
}

/** The platform process's names for the five steps, in its order. */
export const STEP_NAMES = [
  'identify the target',
  'mark the current deployment ROLLED_BACK',
  'deploy the target',
  'record the new deployment',
  'verify health',
] as const;

/** The key that lets a retried step 4 record the redeploy once: one per (undone, target) pair. */
export function idempotencyKeyFor(current: Deployment, target: Deployment): string {
  return `rollback-${current.id}-${target.id}`;
}

/**
 * The redeploy's record: the target's image and version again, `rollbackOf` the undone
 * deployment. Deterministic for the same inputs, so a retry sends the same body under the
 * same idempotency key and gets the first record back.
 */
export function redeployRecord(
  environment: string,
  current: Deployment,
  target: Deployment,
  options: { reason?: string | undefined; pipelineRunUrl?: string | undefined } = {},
): RecordInput {
  const notes = `Rollback of ${current.imageTag} (${current.id}) to ${target.imageTag} (${target.id})${
    options.reason ? `. Reason: ${options.reason}` : ''
  }`;
  return {
    environment,
    imageTag: target.imageTag,
    status: 'DEPLOYED',
    rollbackOf: current.id,
    notes: notes.slice(0, 4096),
    ...(target.imageDigest ? { imageDigest: target.imageDigest } : {}),
    ...(target.version ? { version: target.version } : {}),
    ...(target.commitSha ? { commitSha: target.commitSha } : {}),
    ...(options.pipelineRunUrl ? { pipelineRunUrl: options.pipelineRunUrl } : {}),
  };
}

/** Records with a couple of retries on network errors and 5xx; safe because of the idempotency key. */
async function recordWithRetry(api: ApiClient, input: RecordInput, key: string): Promise<Deployment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.record(input, key);
    } catch (error) {
      if (!(error instanceof ApiError) || !error.transient || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

const describe = (d: Deployment) => `${d.imageTag} (${d.id})`;

/** The environment's history as the rule reads it, through the API: pages of 100, and the exists route. */
function historyThroughApi(api: ApiClient, environment: string): RecordedHistory {
  return {
    async *newestFirst() {
      for await (const page of api.iterateHistory(environment)) yield* page.items;
    },
    hasTag: async (imageTag) => (await api.exists(imageTag, environment)).environments.includes(environment),
  };
}

/** The image check's registry: ECR through the client the options carry, or none (the check is skipped). */
function imagesOf(options: RollbackOptions): ImageRegistry {
  const ecr = options.ecr;
  if (!ecr) return { lookUp: () => Promise.reject(new Error('no ECR repository configured')) };
  return new EcrImages(() => ecr.client);
}

/** Runs `rollback` (or `plan`, with dryRun) and returns its report; prints as it goes. */
export async function runRollback(options: RollbackOptions, deps: RollbackDeps): Promise<RollbackReport> {
  const { api, out } = deps;
  const started = Date.now();
  const report: RollbackReport = {
    command: options.dryRun ? 'plan' : 'rollback',
    ok: false,
    exitCode: EXIT.ok,
    message: '',
    environment: options.environment,
    dryRun: options.dryRun,
    current: null,
    target: null,
    checks: [],
    between: [],
    forced: null,
    steps: [],
    record: null,
    health: null,
    error: null,
  };

  const step = (n: number, status: StepStatus, since: number, detail: string) => {
    const result: StepResult = {
      step: n,
      name: STEP_NAMES[n - 1] ?? '',
      status,
      durationMs: status === 'planned' ? 0 : Date.now() - since,
      detail,
    };
    report.steps.push(result);
    const mark = { ok: MARK.passed, failed: MARK.failed, skipped: MARK.skipped, planned: MARK.planned }[status];
    const time = status === 'planned' ? '' : `  (${formatDuration(result.durationMs)})`;
    out.line(`${mark} ${n}/5 ${result.name}: ${detail}${time}`);
    return result;
  };

  const finish = (exitCode: ExitCode, message: string): RollbackReport => {
    report.exitCode = exitCode;
    report.ok = exitCode === EXIT.ok;
    report.message = message;
    out.line();
    out.line(`${report.ok ? MARK.passed : MARK.failed} ${message}  (${formatDuration(Date.now() - started)})`);
    return report;
  };

  const apiFailure = (n: number, since: number, error: unknown, what: string): RollbackReport => {
    if (!(error instanceof ApiError)) throw error;
    report.error = { status: error.status, title: error.title, detail: error.detail };
    step(n, 'failed', since, `${error.title}${error.detail ? `: ${error.detail}` : ''}`);
    return finish(EXIT.usageOrApi, `${what}: ${error.title}${error.detail ? ` (${error.detail})` : ''}`);
  };

  out.line(`${options.dryRun ? 'Plan' : 'Rollback'} for ${options.environment}`);

  // 1. Identify the target: the service's rule, over the history as the API pages it.
  let t = Date.now();
  let answer: Awaited<ReturnType<typeof chooseRollbackTarget>>;
  try {
    answer = await chooseRollbackTarget(historyThroughApi(api, options.environment), {
      environment: options.environment,
      purpose: 'resume',
      targetTag: options.to,
    });
  } catch (error) {
    return apiFailure(1, t, error, 'Could not identify the rollback target');
  }
  report.current = answer.current;
  let current: Deployment;
  if (!answer.ok) {
    const { refusal } = answer;
    if (refusal.kind === 'is-current') {
      step(1, 'failed', t, refusal.reason);
      return finish(EXIT.usageOrApi, `--to ${options.to} is what ${options.environment} runs now`);
    }
    // The default rule's "nothing to roll back to", and a current deployment the rule refuses,
    // are the service's own answers (the rollback-target route's 404, a run's 409).
    if (!options.to || !isTargetRefusal(refusal) || !answer.current) {
      const error = refusalError(refusal);
      report.error = { status: error.status, title: error.title, detail: error.message };
      step(1, 'failed', t, refusal.reason);
      return finish(EXIT.usageOrApi, `Could not identify the rollback target: ${error.title} (${error.message})`);
    }
    // A `--to` the rule refuses (no record there, never DEPLOYED, known bad, ...): the target check fails.
    current = answer.current;
    step(1, 'ok', t, `${describe(current)} → ${options.to} (refused: see the target check)`);
  } else {
    current = answer.current;
    report.target = answer.target;
    report.between = answer.between;
    step(1, 'ok', t, `${describe(answer.current)} → ${describe(answer.target)}, deployed ${answer.target.deployedAt}`);
  }

  // Safety checks, before anything changes: shown as checks, not as a numbered step.
  t = Date.now();
  try {
    report.checks = await safetyChecks({ images: imagesOf(options) }, answer.ok ? answer : answer.refusal, {
      environment: options.environment,
      repository: options.ecr?.repository,
    });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    report.error = { status: error.status, title: error.title, detail: error.detail };
    out.line(`${MARK.failed} checks: ${error.title}${error.detail ? `: ${error.detail}` : ''}`);
    return finish(
      EXIT.usageOrApi,
      `Could not run the safety checks: ${error.title}${error.detail ? ` (${error.detail})` : ''}`,
    );
  }
  const target = answer.ok ? answer.target : undefined;
  const verdict = safetyVerdict(report.checks, {
    force: options.force,
    ...(options.reason ? { reason: options.reason } : {}),
  });
  if (verdict.overridden.length && options.reason) {
    report.forced = { reason: options.reason, overridden: verdict.overridden.map((c) => c.id) };
  }
  const counts = (['passed', 'failed', 'skipped'] as const)
    .map((s) => [s, report.checks.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const canProceed = verdict.proceed && target !== undefined;
  out.line(
    `${canProceed ? MARK.passed : MARK.failed} checks: ${counts}${verdict.overridden.length ? ` (overridden by --force: ${options.reason})` : ''}  (${formatDuration(Date.now() - t)})`,
  );
  for (const c of report.checks) {
    out.line(`    ${MARK[c.status]} ${c.name}: ${c.detail}`);
    for (const item of c.items) out.line(`        ${item}`);
  }
  if (!canProceed || !target) {
    const names = verdict.failed.map((c) => c.name).join(', ');
    const hint = target ? '; fix it, or pass --force with --reason "..." to override' : '';
    return finish(EXIT.safety, `Safety check failed (${names}); nothing was changed${hint}`);
  }

  if (options.dryRun) {
    const planned = [
      current.status === 'ROLLED_BACK'
        ? `${describe(current)} is already ROLLED_BACK`
        : `mark ${describe(current)} ROLLED_BACK`,
      `run ${options.deployCommand ? `\`${options.deployCommand}\`` : 'the deploy command'} with IMAGE_TAG=${target.imageTag}`,
      `record ${target.imageTag} with rollbackOf ${current.id}`,
      options.healthUrl
        ? `poll ${options.healthUrl} until ${options.health.successes} consecutive 2xx (timeout ${formatDuration(options.health.timeoutMs)})`
        : 'no --health-url: health would not be verified',
    ];
    planned.forEach((detail, i) => {
      step(i + 2, 'planned', Date.now(), detail);
    });
    return finish(
      EXIT.ok,
      `Plan only: ${options.environment} would roll back to ${target.imageTag}; nothing was changed`,
    );
  }

  if (!options.yes) {
    const question = `Roll back ${options.environment} from ${current.imageTag} to ${target.imageTag}?`;
    if (!deps.confirm) {
      return finish(EXIT.usageOrApi, 'Not confirmed: pass --yes to roll back without a terminal; nothing was changed');
    }
    if (!(await deps.confirm(question))) return finish(EXIT.usageOrApi, 'Cancelled; nothing was changed');
  }

  // 2. Mark the current deployment ROLLED_BACK (already done on a resumed run).
  t = Date.now();
  if (current.status === 'ROLLED_BACK') {
    step(2, 'ok', t, `${describe(current)} is already ROLLED_BACK (by ${current.rolledBackBy ?? 'unknown'})`);
  } else {
    try {
      const marked = await api.markRolledBack(current.imageTag, {
        environment: options.environment,
        reason: options.reason ?? `Rolled back to ${target.imageTag} by platform-rollback`,
      });
      report.current = marked;
      step(2, 'ok', t, `${describe(marked)} is ROLLED_BACK`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.problem.currentStatus === 'ROLLED_BACK') {
        step(2, 'ok', t, `${describe(current)} was already ROLLED_BACK`);
      } else {
        return apiFailure(2, t, error, `Could not mark ${current.imageTag} ROLLED_BACK`);
      }
    }
  }

  // 3. Deploy the target.
  t = Date.now();
  const command = options.deployCommand ?? '';
  out.line(`  $ ${command}`);
  const progress = out.progress(`deploying ${target.imageTag} to ${options.environment}`);
  const deployed = await runDeployCommand(command, deployEnvironment(options.environment, target, current), {
    onOutput: (chunk, stream) => out.passthrough(chunk, stream),
    timeoutMs: options.deployTimeoutMs,
    ...(deps.env ? { env: deps.env } : {}),
  });
  progress.stop();
  if (!deployed.ok) {
    const why = deployed.timedOut
      ? `timed out after ${formatDuration(options.deployTimeoutMs ?? 0)}`
      : deployed.exitCode === null
        ? `ended by ${deployed.signal ?? 'an error'}`
        : `exited with ${deployed.exitCode}`;
    step(3, 'failed', t, `deploy command ${why}; no redeploy recorded`);
    return finish(
      EXIT.deploy,
      `Deploy of ${target.imageTag} failed (${why}). ${current.imageTag} stays ROLLED_BACK; run the same command again to retry`,
    );
  }
  step(3, 'ok', t, `deployed ${target.imageTag} to ${options.environment}`);

  // 4. Record the new deployment.
  t = Date.now();
  try {
    const input = redeployRecord(options.environment, current, target, {
      reason: options.reason,
      pipelineRunUrl: options.pipelineRunUrl,
    });
    report.record = await recordWithRetry(api, input, idempotencyKeyFor(current, target));
  } catch (error) {
    return apiFailure(4, t, error, `Deployed ${target.imageTag} but could not record it (run the same command again)`);
  }
  step(4, 'ok', t, `recorded ${target.imageTag} as ${report.record.id} (rollbackOf ${current.id})`);

  // 5. Verify health.
  t = Date.now();
  if (!options.healthUrl) {
    step(5, 'skipped', t, 'no --health-url given: health not verified');
    return finish(EXIT.ok, `${options.environment} runs ${target.imageTag} again (rollback of ${current.imageTag})`);
  }
  const { successes, intervalMs, timeoutMs } = options.health;
  const watching = out.progress(`health: waiting for ${successes} consecutive 2xx from ${options.healthUrl}`);
  report.health = await pollHealth(options.healthUrl, {
    successes,
    intervalMs,
    timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    onAttempt: (a) =>
      watching.update(
        `health: ${a.consecutive}/${successes} consecutive 2xx (attempt ${a.attempt}, last ${a.status ?? a.error}, ${formatDuration(a.elapsedMs)})`,
      ),
  });
  watching.stop();
  const h = report.health;
  if (!h.healthy) {
    const answered = h.lastStatus !== undefined ? `HTTP ${h.lastStatus}` : undefined;
    const last =
      answered && h.lastError ? `${answered}, then ${h.lastError}` : (answered ?? h.lastError ?? 'no answer');
    step(5, 'failed', t, `${options.healthUrl} not healthy after ${h.attempts} attempts (last: ${last})`);
    return finish(
      EXIT.unhealthy,
      `Unhealthy after rollback: ${options.healthUrl} did not answer 2xx ${successes} times in a row within ${formatDuration(timeoutMs)} (last: ${last}). ${target.imageTag} is deployed and recorded`,
    );
  }
  step(5, 'ok', t, `${successes} consecutive 2xx from ${options.healthUrl} (${h.attempts} attempts)`);
  return finish(
    EXIT.ok,
    `${options.environment} runs ${target.imageTag} again (rollback of ${current.imageTag}), healthy`,
  );
}
