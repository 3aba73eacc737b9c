/**
 * Local mode's stand-in for Lambda's durable execution service: runs a started run's
 * workflow, the very handler the run function deploys (composeRunWorkflow of
 * functions/events/rollback-run.ts),
 * through the durable SDK's own local runner. Real time, not skipped: the runner's time
 * skipping installs fake timers for the whole process, which would move the local server's
 * clock too.
 *
 * The launcher (adapters/run-launcher.ts's HttpRunLauncher, in this process's handlers and in
 * `npm run alarm`'s) posts a run's id, never a run, to `POST /_local/runs` with the per-launch
 * secret (RUN_LAUNCHER_SECRET; `.local/local-stack.json`, mode 0600, gives it to other local
 * tools). The host reads the run from the table and runs it only if it is RUNNING and holds
 * its environment's claim, once per run id. No browser may call it, whatever it sends.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { runWorkflowApp } from '../../functions/adapters/runs.js';
import { ConflictError, DomainError, NotFoundError } from '../../functions/core/errors.js';
import type { Run } from '../../functions/core/run.js';
import { DeploymentId } from '../../functions/core/schemas.js';
import * as z from '../../functions/core/zod.js';
import { composeRunWorkflow } from '../../functions/events/rollback-run.js';
import { type HttpEvent, json, parseBody, toProblem } from '../../functions/lib/http.js';
import { logger } from '../../functions/lib/logger.js';
import { fromBrowser } from '../../web/loopback-guard.js';
import type { LocalRoutes } from './server.js';

/** The path the local launcher posts to. */
export const RUN_HOST_PATH = '/_local/runs';

/** What a launch carries: the id of a run already in the table. */
const RunLaunch = z.strictObject({ runId: DeploymentId });

class LaunchRefused extends DomainError {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

export interface RunHost {
  /** The secret a launch must carry (`authorization: Bearer <secret>`). */
  secret: string;
  routes: LocalRoutes;
  /** Resolves when every run launched so far has ended. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sets up the SDK's local checkpoint server; the handler's ports are built on the first run. */
export async function startRunHost(): Promise<RunHost> {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });
  const secret = randomBytes(32).toString('base64url');
  const running = new Map<string, Promise<unknown>>();
  // The deployed workflow, composed as its Lambda entry composes it, on the first run.
  let composed: ReturnType<typeof composeRunWorkflow> | undefined;
  const workflow = () => {
    composed ??= composeRunWorkflow();
    return composed;
  };

  /** The run of a launch, checked: RUNNING and its environment's active run. */
  async function runToLaunch(runId: string): Promise<Run> {
    const { runs } = runWorkflowApp().ports;
    const run = await runs.get(runId);
    if (!run) throw new NotFoundError(`No rollback run with id ${runId}.`);
    if (run.status !== 'RUNNING')
      throw new ConflictError(`Rollback run ${runId} is ${run.status}; only a RUNNING run is run.`);
    if ((await runs.activeRun(run.environment)) !== runId) {
      throw new ConflictError(`Rollback run ${runId} does not hold the claim of ${run.environment}.`);
    }
    return run;
  }

  const routes: LocalRoutes = {
    [`POST ${RUN_HOST_PATH}`]: async ({ body, headers }) => {
      try {
        if (fromBrowser({ headers })) {
          throw new LaunchRefused(403, 'Not from a browser', 'Rollback runs are launched by local mode itself.');
        }
        const given = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
        if (!given || !sameSecret(given, secret)) {
          throw new LaunchRefused(401, 'Launcher secret required', 'Only local mode and its tools launch runs.');
        }
        const event = { headers, body: body.toString('utf8'), isBase64Encoded: false } as unknown as HttpEvent;
        const { runId } = parseBody(event, RunLaunch);
        // One execution per run id, as Lambda's durable execution name makes it: the id is
        // taken before the first await, so concurrent launches of one run start it once.
        if (!running.has(runId)) {
          const checked = runToLaunch(runId);
          const done = checked.then(
            (run) =>
              new LocalDurableTestRunner<Run>({ handlerFunction: workflow() })
                .run({ payload: { run } })
                .catch((error: unknown) => logger.error('local rollback run failed', { runId, error: error as Error })),
            // Refused (unknown, ended, unclaimed): nothing runs, and the caller hears why below.
            () => running.delete(runId),
          );
          running.set(runId, done);
          await checked;
        }
        return json(202, { runId });
      } catch (error) {
        // Bad input and refusals are answers (problem+json), not faults: nothing is logged for them.
        return toProblem(error, RUN_HOST_PATH);
      }
    },
  };
  return {
    secret,
    routes,
    idle: async () => {
      await Promise.all(running.values());
    },
    stop: async () => {
      await Promise.all(running.values());
      await LocalDurableTestRunner.teardownTestEnvironment();
    },
  };
}
