/**
 * `rollback --via-service`, `runs` and `run <id>`: the service carries out the rollback itself
 * (a rollback run, docs/ROLLBACK-RUNS.md); the command starts it and follows it, printing each
 * step once as it changes, and the redeploy's link (ECS deployment, pipeline execution,
 * workflow run) as soon as the run knows it.
 */
import { PROCESS_STEPS, processStepNumber, type Run, type RunStep } from '../functions/core/run.js';
import type { ApiClient } from './api-client.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { formatDuration, MARK, type Output } from './output.js';

const STEP_MARK: Record<RunStep['status'], string> = {
  PENDING: MARK.planned,
  RUNNING: '…',
  SUCCEEDED: MARK.passed,
  FAILED: MARK.failed,
  SKIPPED: MARK.skipped,
};

/** The exit code of an ended run, in the command's own terms (exit-codes.ts). */
export function exitCodeOf(run: Run): ExitCode {
  if (run.status === 'SUCCEEDED') return EXIT.ok;
  switch (run.failure?.step) {
    case 'checks':
      return EXIT.safety;
    case 'redeploy':
    case 'record':
      return EXIT.deploy;
    case 'verify':
      return EXIT.unhealthy;
    default:
      return EXIT.usageOrApi;
  }
}

/**
 * One line per step of a run, as `platform-rollback run <id>` prints it: the process's five
 * steps numbered `1/5` to `5/5`, the safety checks unnumbered before step 2 (as `rollback`
 * prints its own).
 */
export function stepLine(step: RunStep): string {
  const n = processStepNumber(step.name);
  const label = n === null ? step.name : `${n}/${PROCESS_STEPS.length} ${step.name}`;
  return `${STEP_MARK[step.status]} ${label}${step.detail ? `: ${step.detail}` : ''}`;
}

/** The redeploy's line: what carries it out, its id there, and its link. */
export function redeployLine(run: Run): string | undefined {
  const r = run.redeploy;
  if (!r) return undefined;
  const parts = [`via ${r.via}`, r.externalId, r.url].filter(Boolean);
  return `    redeploy: ${parts.join('  ')}`;
}

export interface FollowOptions {
  /** Between two looks at the run. */
  intervalMs: number;
  /** Stop following (the run goes on in the service) after this long. */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reads the run until it ends (or `timeoutMs` passes), printing each step whenever its status
 * or detail changes, and the redeploy's link once. Returns the last run read.
 */
export async function followRun(api: ApiClient, out: Output, first: Run, options: FollowOptions): Promise<Run> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const shown = new Map<string, string>();
  let linkShown = false;
  const started = Date.now();
  let run = first;
  for (;;) {
    for (const step of run.steps) {
      if (step.status === 'PENDING') continue;
      const line = stepLine(step);
      if (shown.get(step.name) === line) continue;
      shown.set(step.name, line);
      out.line(line);
      const link = redeployLine(run);
      if (step.name === 'redeploy' && link && !linkShown) {
        linkShown = true;
        out.line(link);
      }
    }
    if (run.status !== 'RUNNING' || Date.now() - started >= options.timeoutMs) return run;
    await sleep(options.intervalMs);
    run = await api.run(run.id);
  }
}

export interface ViaServiceOptions {
  environment: string;
  reason: string;
  to?: string | undefined;
  idempotencyKey?: string | undefined;
  follow: FollowOptions;
}

/** What `rollback --via-service` reports (`--json`, and the GitHub Action's outputs). */
export interface ViaServiceReport {
  command: 'rollback';
  viaService: true;
  ok: boolean;
  exitCode: ExitCode;
  message: string;
  environment: string;
  run: Run;
}

/** Starts a rollback run of the environment and follows it to its end. */
export async function rollbackViaService(
  api: ApiClient,
  out: Output,
  options: ViaServiceOptions,
): Promise<ViaServiceReport> {
  const began = Date.now();
  out.line(`Rollback run for ${options.environment} (the service redeploys)`);
  const started = await api.startRun(
    {
      environment: options.environment,
      reason: options.reason,
      ...(options.to ? { targetImageTag: options.to } : {}),
    },
    options.idempotencyKey,
  );
  out.line(
    `  run ${started.id}: ${started.current.imageTag} → ${started.target.imageTag} (${options.environment}), started`,
  );
  const run = await followRun(api, out, started, options.follow);
  const exitCode = run.status === 'RUNNING' ? EXIT.usageOrApi : exitCodeOf(run);
  const message =
    run.status === 'SUCCEEDED'
      ? `${options.environment} runs ${run.target.imageTag} again (rollback run ${run.id}), healthy`
      : run.status === 'RUNNING'
        ? `Stopped following run ${run.id} after ${formatDuration(options.follow.timeoutMs)}; it goes on in the service (platform-rollback run ${run.id})`
        : `Rollback run ${run.id} FAILED at ${run.failure?.step ?? 'a step'}: ${run.failure?.detail ?? ''}; people must act`;
  out.line();
  out.line(`${exitCode === EXIT.ok ? MARK.passed : MARK.failed} ${message}  (${formatDuration(Date.now() - began)})`);
  return {
    command: 'rollback',
    viaService: true,
    ok: exitCode === EXIT.ok,
    exitCode,
    message,
    environment: options.environment,
    run,
  };
}
