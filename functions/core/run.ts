/**
 * The rollback run (docs/ROLLBACK-RUNS.md, and its routes in docs/API.md): one rollback of one
 * environment, carried out by the service, with every step visible. Plain data and pure
 * helpers; the workflow (functions/events/rollback-run.ts) moves a run through its steps and
 * the runs store keeps it.
 */
import type { AlarmRef } from './alarm.js';
import type { Deployment } from './deployment.js';
import type { RedeployVia } from './redeploy/port.js';

/** The run's step entries, in the platform process's order; every run lists all six from the start. */
export const STEP_NAMES = ['identify', 'checks', 'mark', 'redeploy', 'record', 'verify'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * The platform process's five steps, numbered the same everywhere (the CLI's lines, the docs,
 * the console). A run's `checks` entry is the safety checks, shown before step 2 and not
 * numbered, as the CLI's own rollback shows them; the run's JSON keeps all six entries.
 */
export const PROCESS_STEPS = [
  'identify',
  'mark',
  'redeploy',
  'record',
  'verify',
] as const satisfies readonly StepName[];

/** A run step's number in the process (1 to 5), or null for `checks`. */
export function processStepNumber(name: string): number | null {
  const index = (PROCESS_STEPS as readonly string[]).indexOf(name);
  return index < 0 ? null : index + 1;
}

export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type StepStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface RunStep {
  name: StepName;
  status: StepStatus;
  startedAt: string | null;
  endedAt: string | null;
  detail: string | null;
}

export interface Run {
  id: string;
  environment: string;
  trigger: 'alarm' | 'manual';
  alarm: AlarmRef | null;
  requestedBy: string;
  reason: string;
  current: { id: string; imageTag: string };
  target: { id: string; imageTag: string; imageDigest: string | null };
  redeploy: { via: RedeployVia; deploymentId: string | null; externalId: string | null; url: string | null } | null;
  status: RunStatus;
  steps: RunStep[];
  failure: { step: StepName; detail: string } | null;
  startedAt: string;
  endedAt: string | null;
}

/** A new RUNNING run: every step PENDING. */
export function newRun(fields: {
  id: string;
  environment: string;
  trigger: Run['trigger'];
  alarm: AlarmRef | null;
  requestedBy: string;
  reason: string;
  current: Deployment;
  target: Deployment;
  startedAt: string;
}): Run {
  return {
    id: fields.id,
    environment: fields.environment,
    trigger: fields.trigger,
    alarm: fields.alarm,
    requestedBy: fields.requestedBy,
    reason: fields.reason,
    current: { id: fields.current.id, imageTag: fields.current.imageTag },
    target: { id: fields.target.id, imageTag: fields.target.imageTag, imageDigest: fields.target.imageDigest },
    redeploy: null,
    status: 'RUNNING',
    steps: STEP_NAMES.map((name) => ({ name, status: 'PENDING', startedAt: null, endedAt: null, detail: null })),
    failure: null,
    startedAt: fields.startedAt,
    endedAt: null,
  };
}

/** The run with one step changed (a copy: runs are checkpointed values, never mutated). */
export function withStep(run: Run, name: StepName, change: Partial<Omit<RunStep, 'name'>>): Run {
  return { ...run, steps: run.steps.map((step) => (step.name === name ? { ...step, ...change } : step)) };
}

/** The step's entry. */
export function stepOf(run: Run, name: StepName): RunStep {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`run ${run.id} has no step ${name}`);
  return step;
}

/** The run failed at `name`: that step FAILED, every later PENDING step SKIPPED. */
export function failedAt(run: Run, name: StepName, detail: string, at: string): Run {
  const index = STEP_NAMES.indexOf(name);
  return {
    ...run,
    failure: { step: name, detail },
    steps: run.steps.map((step, i) => {
      if (step.name === name)
        return { ...step, status: 'FAILED', endedAt: at, detail, startedAt: step.startedAt ?? at };
      if (i > index && step.status === 'PENDING') return { ...step, status: 'SKIPPED' };
      return step;
    }),
  };
}

/** Whether the run has failed at some step (the later steps do nothing then). */
export const hasFailed = (run: Run) => run.failure !== null;
