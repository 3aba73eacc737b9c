/**
 * The rollback run's workflow: a Lambda durable function. It only orchestrates; every step's
 * logic is a use case in core/use-cases/run-steps.ts. Each step is its own durable operation,
 * so a replay after a crash returns checkpointed results instead of running a step again;
 * a step interrupted before its checkpoint runs again, and the step use cases are idempotent
 * (their side effects are keyed by the run).
 *
 * Started by Lambda's async invoke of the function's alias with the durable execution name =
 * the run id (one execution per run), or by the durable SDK's local runner in local mode.
 */
import { type DurableContext, type StepConfig, withDurableExecution } from '@aws/durable-execution-sdk-js';
import { runWorkflowApp } from '../adapters/runs.js';
import type { Run, StepName } from '../core/run.js';
import type { RunPorts } from '../core/run-ports.js';
import {
  BAKE_START,
  type BakeState,
  bakeLook,
  bakeWaitStrategy,
  beginVerifyStep,
  checkRedeploy,
  checksStep,
  endVerifyStep,
  faultAt,
  hasHealthSignal,
  identifyStep,
  markStep,
  notifyStep,
  type RedeployWait,
  recordStep,
  redeployWaitStrategy,
  startRedeployStep,
} from '../core/use-cases/run-steps.js';

/** What the launcher sends: the run as it was started. */
export interface RunEvent {
  run: Run;
}

/** Faults (DynamoDB throttled, a target's API down) are retried with backoff; then the run fails there. */
export const STEP_RETRIES = 4;
const retrying: StepConfig<never>['retryStrategy'] = (_error, attempt) => ({
  shouldRetry: attempt < STEP_RETRIES,
  delay: { seconds: Math.min(2 ** attempt, 30) },
});
const config = <T>(): StepConfig<T> => ({ retryStrategy: retrying });

/** The workflow over given ports (the handler below builds them from config; tests inject theirs). */
export function runWorkflow(ports: RunPorts) {
  return async (event: RunEvent, ctx: DurableContext): Promise<Run> => {
    let run = event.run;
    let at: StepName = 'identify';
    try {
      run = await ctx.step('identify', () => identifyStep(ports, run), config());
      if (!run.failure) {
        at = 'checks';
        run = await ctx.step('checks', () => checksStep(ports, run), config());
      }
      if (!run.failure) {
        at = 'mark';
        run = await ctx.step('mark', () => markStep(ports, run), config());
      }
      if (!run.failure) {
        at = 'redeploy';
        const target = ports.targets[run.environment];
        if (!target) throw new Error(`environment ${run.environment} has no redeploy target configured`);
        const started = await ctx.step('redeploy', () => startRedeployStep(ports, run), config());
        run = started.run;
        const wait = await ctx.waitForCondition<RedeployWait>(
          'redeploy-wait',
          (state) => checkRedeploy(ports, started, state),
          {
            initialState: { looks: 0, progress: { status: 'RUNNING', detail: 'started' } },
            waitStrategy: redeployWaitStrategy(target),
          },
        );
        at = 'record';
        run = await ctx.step('record', () => recordStep(ports, started, wait), config());
        if (!run.failure) {
          at = 'verify';
          let bake: BakeState | null = null;
          if (hasHealthSignal(target)) {
            run = await ctx.step('verify-begin', () => beginVerifyStep(ports, run), config());
            const current = run;
            bake = await ctx.waitForCondition<BakeState>('verify-bake', (state) => bakeLook(ports, current, state), {
              initialState: BAKE_START,
              waitStrategy: bakeWaitStrategy(target),
            });
          }
          const baked = bake;
          run = await ctx.step('verify', () => endVerifyStep(ports, run, baked), config());
        }
      }
    } catch (error) {
      // A step's fault outlived its retries: the run fails there, and people are told.
      run = faultAt(ports, run, at, error);
    }
    const ending = run;
    return ctx.step('notify', () => notifyStep(ports, ending), config());
  };
}

/** The durable handler over given ports. */
export function createRunHandler(ports: RunPorts) {
  return withDurableExecution(runWorkflow(ports));
}

/**
 * THE run workflow function: the durable handler over this process's run ports
 * (adapters/runs.ts, which picks each target's adapter and health signal from the
 * configuration). The Lambda entry (rollback-run-handler.ts) and local mode's run host both
 * call it, so a local run is the deployed workflow.
 */
export function composeRunWorkflow() {
  return createRunHandler(runWorkflowApp().ports);
}
