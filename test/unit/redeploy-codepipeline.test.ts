import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  type GetPipelineExecutionCommandOutput,
  type PipelineExecutionStatus,
  PipelineNotFoundException,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { ulid } from 'ulid';
import { beforeEach, describe, expect, it } from 'vitest';
import { assumedRoleCredentials, REFRESH_MARGIN_MS } from '../../functions/adapters/redeploy/assume-role.js';
import { CodePipelineRedeployer } from '../../functions/adapters/redeploy/codepipeline.js';
import { CodePipelineTarget } from '../../functions/core/redeploy/aws.js';
import type { RedeployRequest } from '../../functions/core/redeploy/port.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The CodePipeline target and the cross-account credentials at their SDK boundary, answered
 * with the shapes of the CodePipeline API reference (StartPipelineExecution,
 * GetPipelineExecution) and the STS one (AssumeRole). This target stays at the SDK boundary:
 * moto 5 creates pipelines (CreatePipeline, GetPipeline) but implements neither
 * StartPipelineExecution nor GetPipelineExecution (it answers 500 NotImplementedError), so
 * there is no execution in moto to start or follow. AssumeRole itself is proven in moto by
 * test/integration/moto-ecs.test.ts (the same targetCredentials).
 */

const codepipeline = mockClient(CodePipelineClient);
const sts = mockClient(STSClient);

const RUN_ID = ulid(Date.parse('2026-11-29T05:00:00Z'));
const EXECUTION_ID = '3137f7cb-7cf7-4a8c-a2f5-2b4ab4bb5d1e';
const target = CodePipelineTarget.parse({
  via: 'codepipeline',
  accountId: '111122223333',
  region: 'eu-west-1',
  pipeline: 'shop-api-deploy',
});
const current = deploymentFixture({ imageTag: 'v2.1.0' });
const request: RedeployRequest = {
  runId: RUN_ID,
  environment: 'prod',
  target: deploymentFixture({ imageTag: 'v2.0.0' }),
  current,
  redeployId: ulid(),
};
const waits: number[] = [];
const backoff = { sleep: async (ms: number) => void waits.push(ms) };
const handle = {
  via: 'codepipeline' as const,
  externalId: EXECUTION_ID,
  url: null,
};

/** GetPipelineExecution's answer for one status, shaped as the API reference has it. */
function execution(status: string, summary?: string): GetPipelineExecutionCommandOutput {
  return {
    $metadata: {},
    pipelineExecution: {
      pipelineName: 'shop-api-deploy',
      pipelineVersion: 4,
      pipelineExecutionId: EXECUTION_ID,
      status: status as PipelineExecutionStatus,
      ...(summary ? { statusSummary: summary } : {}),
      artifactRevisions: [],
      variables: [
        { name: 'IMAGE_TAG', resolvedValue: 'v2.0.0' },
        { name: 'ENVIRONMENT', resolvedValue: 'prod' },
        { name: 'ROLLBACK_OF', resolvedValue: current.id },
      ],
      trigger: {
        triggerType: 'StartPipelineExecution' as const,
        triggerDetail: 'arn:aws:sts::444455556666:assumed-role/x/y',
      },
      executionMode: 'SUPERSEDED' as const,
      executionType: 'STANDARD' as const,
    },
  };
}

beforeEach(() => {
  codepipeline.reset();
  sts.reset();
  waits.length = 0;
});

describe('codepipeline start', () => {
  it('starts the pipeline with the three variables and the run id as clientRequestToken', async () => {
    codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXECUTION_ID });

    const started = await new CodePipelineRedeployer(target, { backoff }).start(request);

    expect(started).toEqual({
      via: 'codepipeline',
      externalId: EXECUTION_ID,
      url: `https://eu-west-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/shop-api-deploy/executions/${EXECUTION_ID}/timeline?region=eu-west-1`,
    });
    expect(codepipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        name: 'shop-api-deploy',
        clientRequestToken: RUN_ID,
        variables: [
          { name: 'IMAGE_TAG', value: 'v2.0.0' },
          { name: 'ENVIRONMENT', value: 'prod' },
          { name: 'ROLLBACK_OF', value: current.id },
        ],
      },
    ]);
  });

  it('a replayed start sends the same token, so CodePipeline answers the execution it already started', async () => {
    codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: EXECUTION_ID });
    const redeployer = new CodePipelineRedeployer(target, { backoff });
    const first = await redeployer.start(request);
    const replay = await redeployer.start(request);
    expect(replay).toEqual(first);
    const tokens = codepipeline
      .commandCalls(StartPipelineExecutionCommand)
      .map((c) => c.args[0].input.clientRequestToken);
    expect(tokens).toEqual([RUN_ID, RUN_ID]);
  });

  it('retries a throttled start with backoff', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    codepipeline
      .on(StartPipelineExecutionCommand)
      .rejectsOnce(throttled)
      .resolves({ pipelineExecutionId: EXECUTION_ID });
    expect((await new CodePipelineRedeployer(target, { backoff }).start(request)).externalId).toBe(EXECUTION_ID);
    expect(codepipeline.commandCalls(StartPipelineExecutionCommand)).toHaveLength(2);
    expect(waits).toHaveLength(1);
  });

  it('does not retry a pipeline that does not exist', async () => {
    codepipeline
      .on(StartPipelineExecutionCommand)
      .rejects(new PipelineNotFoundException({ message: 'Pipeline not found', $metadata: { httpStatusCode: 400 } }));
    await expect(new CodePipelineRedeployer(target, { backoff }).start(request)).rejects.toThrow('Pipeline not found');
    expect(codepipeline.commandCalls(StartPipelineExecutionCommand)).toHaveLength(1);
  });
});

describe('codepipeline check follows GetPipelineExecution', () => {
  const check = async (status: string, summary?: string) => {
    codepipeline.on(GetPipelineExecutionCommand).resolves(execution(status, summary));
    return new CodePipelineRedeployer(target, { backoff }).check(request, handle);
  };

  it('asks for the execution of the handle', async () => {
    await check('InProgress');
    expect(codepipeline.commandCalls(GetPipelineExecutionCommand)[0]?.args[0].input).toEqual({
      pipelineName: 'shop-api-deploy',
      pipelineExecutionId: EXECUTION_ID,
    });
  });

  it('InProgress runs; Succeeded succeeds', async () => {
    expect((await check('InProgress')).status).toBe('RUNNING');
    expect(await check('Succeeded')).toEqual({
      status: 'SUCCEEDED',
      detail: `pipeline shop-api-deploy execution ${EXECUTION_ID} succeeded`,
    });
  });

  it('Superseded is not success: a newer execution overtook the rollback', async () => {
    expect(await check('Superseded')).toEqual({
      status: 'FAILED',
      detail: `pipeline shop-api-deploy execution ${EXECUTION_ID} was superseded by a newer execution before it finished`,
    });
  });

  it('Stopped, Stopping, Failed and Cancelled fail, with the status summary', async () => {
    expect(await check('Stopped', 'Stopped by alice')).toEqual({
      status: 'FAILED',
      detail: `pipeline shop-api-deploy execution ${EXECUTION_ID} was stopped: Stopped by alice`,
    });
    expect((await check('Stopping')).status).toBe('FAILED');
    expect((await check('Failed', 'Deploy action failed')).detail).toMatch(/failed: Deploy action failed$/);
    expect((await check('Cancelled')).status).toBe('FAILED');
  });
});

describe('credentials of a role in the workload account', () => {
  const ROLE = 'arn:aws:iam::111122223333:role/platform-rollback-redeploy';
  const answer = (expiration: Date, key: string) => ({
    Credentials: {
      AccessKeyId: key,
      SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      SessionToken: 'FwoGZXIvYXdzEXAMPLE',
      Expiration: expiration,
    },
    AssumedRoleUser: {
      AssumedRoleId: 'AROA3XFRBF535PLBIFPI4:platform-rollback',
      Arn: 'arn:aws:sts::111122223333:assumed-role/platform-rollback-redeploy/platform-rollback',
    },
  });

  it('assumes the role once, reuses the credentials, and assumes it again shortly before they expire', async () => {
    let now = new Date('2026-11-29T05:00:00Z');
    const expires = new Date(now.getTime() + 3600_000);
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(answer(expires, 'ASIAFIRST'))
      .resolvesOnce(answer(new Date(expires.getTime() + 3600_000), 'ASIASECOND'));
    const provider = assumedRoleCredentials({ roleArn: ROLE, region: 'eu-west-1', now: () => now });

    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a.accessKeyId).toBe('ASIAFIRST');
    expect(b.accessKeyId).toBe('ASIAFIRST');
    now = new Date(expires.getTime() - REFRESH_MARGIN_MS - 1000);
    expect((await provider()).accessKeyId).toBe('ASIAFIRST');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);

    now = new Date(expires.getTime() - REFRESH_MARGIN_MS + 1000);
    expect((await provider()).accessKeyId).toBe('ASIASECOND');
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'platform-rollback', DurationSeconds: 3600 },
      { RoleArn: ROLE, RoleSessionName: 'platform-rollback', DurationSeconds: 3600 },
    ]);
  });

  it('a pipeline target with roleArn signs its calls with the assumed role', async () => {
    sts.on(AssumeRoleCommand).resolves(answer(new Date(Date.now() + 3600_000), 'ASIAWORKLOAD'));
    const redeployer = new CodePipelineRedeployer(CodePipelineTarget.parse({ ...target, roleArn: ROLE }), { backoff });
    // The client's credential provider is what signs every request it sends.
    const client = (redeployer as unknown as { client: CodePipelineClient }).client;
    expect((await client.config.credentials()).accessKeyId).toBe('ASIAWORKLOAD');
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleArn).toBe(ROLE);
  });
});
