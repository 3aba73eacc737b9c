/**
 * Local mode's stand-in for Lambda's durable execution service: the local server's
 * `POST /_local/runs` (RUN_LAUNCHER_URL) runs a started run's workflow, the very handler
 * the run function deploys (functions/events/rollback-run.ts), through the durable SDK's
 * own local runner. Real time, not skipped: the runner's time skipping installs fake timers
 * for the whole process, which would move the local server's clock too.
 */
import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { runWorkflowApp } from '../../functions/adapters/runs.js';
import type { Run } from '../../functions/core/run.js';
import { createRunHandler } from '../../functions/events/rollback-run.js';
import { json } from '../../functions/lib/http.js';
import { logger } from '../../functions/lib/logger.js';
import type { LocalRoutes } from './server.js';

/** The path the local launcher posts to. */
export const RUN_HOST_PATH = '/_local/runs';

export interface RunHost {
  routes: LocalRoutes;
  /** Resolves when every run launched so far has ended. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Sets up the SDK's local checkpoint server; the handler's ports are built on the first run. */
export async function startRunHost(): Promise<RunHost> {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });
  const running = new Map<string, Promise<unknown>>();
  const routes: LocalRoutes = {
    [`POST ${RUN_HOST_PATH}`]: async (body) => {
      const { run } = JSON.parse(body.toString('utf8')) as { run: Run };
      // One execution per run id, as Lambda's durable execution name makes it.
      if (!running.has(run.id)) {
        const runner = new LocalDurableTestRunner<Run>({ handlerFunction: createRunHandler(runWorkflowApp().ports) });
        const done = runner.run({ payload: { run } }).catch((error: unknown) => {
          logger.error('local rollback run failed', { runId: run.id, error: error as Error });
        });
        running.set(run.id, done);
      }
      return json(202, { runId: run.id });
    },
  };
  return {
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
