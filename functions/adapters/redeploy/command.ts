/**
 * The `command` redeploy target (local mode only): runs a shell command with the variables
 * the CLI's deploy command gets (IMAGE_TAG, ENVIRONMENT, TARGET_*, ROLLBACK_OF, ...; see
 * deploy-command.ts). The command runs in this process's background; `start` for a run that
 * already has one returns it (a replayed step starts nothing twice).
 */
import type { Redeployer, RedeployHandle, RedeployProgress, RedeployRequest } from '../../core/redeploy/port.js';
import { type DeployResult, deployEnvironment, runDeployCommand } from '../deploy-command.js';

interface Running {
  result: DeployResult | undefined;
  output: string;
}

/** Keeps the last lines of a command's output for the step's detail. */
const TAIL = 400;

export class CommandRedeployer implements Redeployer {
  readonly via = 'command' as const;
  private readonly runs = new Map<string, Running>();

  constructor(
    private readonly command: string,
    private readonly options: { timeoutMs?: number; onOutput?: (runId: string, text: string) => void } = {},
  ) {}

  async start(request: RedeployRequest): Promise<RedeployHandle> {
    if (!this.runs.has(request.runId)) {
      const running: Running = { result: undefined, output: '' };
      this.runs.set(request.runId, running);
      const vars = {
        ...deployEnvironment(request.environment, request.target, request.current),
        REDEPLOY_DEPLOYMENT_ID: request.redeployId,
        ROLLBACK_RUN_ID: request.runId,
      };
      void runDeployCommand(this.command, vars, {
        timeoutMs: this.options.timeoutMs,
        onOutput: (chunk) => {
          const text = chunk.toString('utf8');
          running.output = (running.output + text).slice(-TAIL);
          this.options.onOutput?.(request.runId, text);
        },
      }).then((result) => {
        running.result = result;
      });
    }
    return { via: this.via, externalId: `command:${request.runId}`, url: null };
  }

  async check(request: RedeployRequest): Promise<RedeployProgress> {
    const running = this.runs.get(request.runId);
    if (!running) return { status: 'FAILED', detail: 'no command is running for this run (the process restarted?)' };
    const { result } = running;
    const output = running.output.trim().split('\n').at(-1) ?? '';
    if (!result) return { status: 'RUNNING', detail: `command running${output ? `: ${output}` : ''}` };
    if (result.ok) return { status: 'SUCCEEDED', detail: `command exited 0 after ${result.durationMs} ms` };
    const why = result.timedOut ? 'timed out' : `exited ${result.exitCode ?? `on ${result.signal}`}`;
    return { status: 'FAILED', detail: `command ${why}${output ? `: ${output}` : ''}` };
  }
}
