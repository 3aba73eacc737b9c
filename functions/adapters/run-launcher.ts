/**
 * RunLauncher adapters: how a started run's workflow begins.
 * - In AWS: an async invoke (InvocationType Event) of the run function's alias, with the
 *   durable execution name = the run id. Lambda returns the existing execution for a name
 *   it has seen with the same payload, so a launch repeated by a retried request or a
 *   redelivered alarm starts nothing twice.
 * - In local mode: a POST of the run's id (never the run) to the local server, with its
 *   per-launch secret; the server reads the run from the table and runs the same workflow
 *   through the durable SDK's local runner (infra/local/run-host.ts).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Run } from '../core/run.js';
import type { RunLauncher } from '../core/run-ports.js';

export class LambdaRunLauncher implements RunLauncher {
  constructor(
    private readonly lambda: LambdaClient,
    /** The alias ARN: durable functions are invoked through a version or alias. */
    private readonly functionName: string,
  ) {}

  async launch(run: Run): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        DurableExecutionName: run.id,
        Payload: new TextEncoder().encode(JSON.stringify({ run })),
      }),
    );
  }
}

export class HttpRunLauncher implements RunLauncher {
  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  async launch(run: Run): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.secret}` },
      body: JSON.stringify({ runId: run.id }),
    });
    if (!response.ok) throw new Error(`the local run host answered ${response.status}`);
  }
}

/** For functions that start no runs' workflows: a run cannot be launched without a configured launcher. */
export const NO_LAUNCHER: RunLauncher = {
  launch: async () => {
    throw new Error('RUN_FUNCTION (or RUN_LAUNCHER_URL in local mode) is not set: runs cannot be launched');
  },
};
