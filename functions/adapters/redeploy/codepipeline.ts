/**
 * The `codepipeline` redeploy target: starts an execution of a pipeline (type V2, with the
 * pipeline-level variables IMAGE_TAG, ENVIRONMENT and ROLLBACK_OF declared) and follows it.
 *
 * start: StartPipelineExecution with the variables and `clientRequestToken` = the run id.
 *   CodePipeline answers a repeated token with the execution it already started, so a replay
 *   after a crash gets the same execution back instead of a second one.
 * check: GetPipelineExecution. Succeeded succeeds; Failed, Stopped, Stopping, Superseded and
 *   Cancelled fail (the target version did not finish deploying); InProgress runs.
 */
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { CodePipelineTarget } from '../../core/redeploy/aws.js';
import type { Redeployer, RedeployHandle, RedeployProgress, RedeployRequest } from '../../core/redeploy/port.js';
import { targetCredentials } from './assume-role.js';
import { type BackoffOptions, isAwsThrottle, SDK_CLIENT_DEFAULTS, withBackoff } from './retry.js';

export interface CodePipelineRedeployerOptions {
  backoff?: BackoffOptions;
  credentials?: AwsCredentialIdentityProvider;
}

/** Why each final status other than Succeeded is a failure, in the run's words. */
const NOT_SUCCESS: Readonly<Record<string, string>> = {
  Failed: 'failed',
  Stopped: 'was stopped',
  Stopping: 'is being stopped',
  Superseded: 'was superseded by a newer execution before it finished',
  Cancelled: 'was cancelled (a newer execution replaced it in the queue)',
};

export class CodePipelineRedeployer implements Redeployer {
  readonly via = 'codepipeline' as const;
  private readonly client: CodePipelineClient;

  constructor(
    private readonly target: CodePipelineTarget,
    private readonly options: CodePipelineRedeployerOptions = {},
  ) {
    const credentials = targetCredentials(target, { credentials: options.credentials, sleep: options.backoff?.sleep });
    this.client = new CodePipelineClient({
      region: target.region,
      ...SDK_CLIENT_DEFAULTS,
      ...(credentials ? { credentials } : {}),
    });
  }

  async start(request: RedeployRequest): Promise<RedeployHandle> {
    const answer = await this.send(() =>
      this.client.send(
        new StartPipelineExecutionCommand({
          name: this.target.pipeline,
          clientRequestToken: request.runId,
          variables: [
            { name: 'IMAGE_TAG', value: request.target.imageTag },
            { name: 'ENVIRONMENT', value: request.environment },
            { name: 'ROLLBACK_OF', value: request.current.id },
          ],
        }),
      ),
    );
    const id = answer.pipelineExecutionId;
    if (!id) throw new Error(`StartPipelineExecution ${this.target.pipeline} answered without an execution id`);
    return { via: 'codepipeline', externalId: id, url: this.consoleUrl(id) };
  }

  async check(_request: RedeployRequest, handle: RedeployHandle): Promise<RedeployProgress> {
    const answer = await this.send(() =>
      this.client.send(
        new GetPipelineExecutionCommand({ pipelineName: this.target.pipeline, pipelineExecutionId: handle.externalId }),
      ),
    );
    const execution = answer.pipelineExecution;
    const status = execution?.status ?? 'unknown';
    const summary = execution?.statusSummary ? `: ${execution.statusSummary}` : '';
    const what = `pipeline ${this.target.pipeline} execution ${handle.externalId}`;
    if (status === 'Succeeded') return { status: 'SUCCEEDED', detail: `${what} succeeded` };
    const failure = NOT_SUCCESS[status];
    if (failure) return { status: 'FAILED', detail: `${what} ${failure}${summary}` };
    return { status: 'RUNNING', detail: `${what} is ${status}` };
  }

  /** The execution's page in the CodePipeline console. */
  consoleUrl(executionId: string): string {
    const { region, pipeline } = this.target;
    return `https://${region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${encodeURIComponent(pipeline)}/executions/${encodeURIComponent(executionId)}/timeline?region=${region}`;
  }

  private send<T>(call: () => Promise<T>): Promise<T> {
    return withBackoff(call, isAwsThrottle, this.options.backoff);
  }
}
