import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Deployment as EcsDeployment,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  type ServiceDeploymentStatus,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redeployerFor } from '../../functions/adapters/redeploy/index.js';
import type { Redeployer } from '../../functions/core/redeploy/port.js';
import type { ExternalRedeployTarget, RedeployTarget } from '../../functions/core/redeploy/targets.js';
import type { Run } from '../../functions/core/run.js';
import { startRun } from '../../functions/core/use-cases/start-run.js';
import { createRunHandler } from '../../functions/events/rollback-run.js';
import { freshTable } from '../support/dynamodb.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { deploy, runPortsFor, tableState } from '../support/runs.js';

/**
 * One whole rollback run per redeploy target, through the durable SDK's local runner, on
 * DynamoDB Local: the workflow's own steps, the real adapters, and the targets answered at
 * their boundary (aws-sdk-client-mock for ECS and CodePipeline, a real HTTP server for
 * GitHub). Each target also survives a crash after it was called and before the call was
 * checkpointed: the step runs again, and the target sees no second redeploy.
 */

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;
const ecs = mockClient(ECSClient);
const codepipeline = mockClient(CodePipelineClient);
const secrets = mockClient(SecretsManagerClient);

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api`;
const TD = (revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-api:${revision}`;
const RUN_TIMING = { pollSeconds: 5, timeoutMinutes: 5 };

beforeAll(async () => {
  table = await freshTable();
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true });
});
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());
beforeEach(() => {
  ecs.reset();
  codepipeline.reset();
  secrets.reset();
});

/**
 * The run's ports with the real adapter for the environment's target. With `crashOnce`, the
 * first start reaches the target and then dies before returning (the process crashed before
 * the step's checkpoint): the workflow retries the step, as the durable engine replays it.
 */
function portsWith(environment: string, target: Record<string, unknown>, crashOnce: boolean) {
  const ports = runPortsFor(table, { [environment]: target });
  const starts: string[] = [];
  let built: Redeployer | undefined;
  ports.redeployerFor = (_env: string, config: RedeployTarget) => {
    if (!built) {
      const real = redeployerFor(config as ExternalRedeployTarget);
      let crashed = !crashOnce;
      built = {
        via: real.via,
        start: async (request) => {
          const handle = await real.start(request);
          starts.push(handle.externalId);
          if (!crashed) {
            crashed = true;
            throw new Error('crash after the target was called, before the step was checkpointed');
          }
          return handle;
        },
        check: (request, handle) => real.check(request, handle),
      };
    }
    return built;
  };
  return { ports, starts };
}

async function runOnce(environment: string, ports: ReturnType<typeof runPortsFor>) {
  const v1 = await deploy(table, environment, 'v2.0.0', { imageDigest: `sha256:${'a'.repeat(64)}` });
  const v2 = await deploy(table, environment, 'v2.1.0', { imageDigest: `sha256:${'b'.repeat(64)}` });
  const { run } = await startRun(ports, {
    environment,
    reason: 'errors after v2.1.0',
    trigger: 'manual',
    alarm: null,
    by: 'arn:aws:iam::123456789012:user/ops',
  });
  const runner = new LocalDurableTestRunner<Run>({ handlerFunction: createRunHandler(ports) });
  const execution = await runner.run({ payload: { run } });
  const result = execution.getResult() as Run;
  const state = await tableState(table, environment);
  return { v1, v2, run, result, state, redeploys: state.records.filter((r) => r.rollbackOf === v2.id) };
}

/** An ECS service that moves like one: UpdateService makes a new PRIMARY deployment, COMPLETED after `looks` reads. */
function fakeEcsService(looks: number) {
  const started = new Date(Date.now() - 3600_000);
  let deployments: EcsDeployment[] = [
    {
      id: 'ecs-svc/1111111111111111111',
      status: 'PRIMARY',
      taskDefinition: TD(12),
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      failedTasks: 0,
      createdAt: started,
      updatedAt: started,
      rolloutState: 'COMPLETED',
      rolloutStateReason: 'ECS deployment ecs-svc/1111111111111111111 completed.',
    },
  ];
  let reads = 0;
  const service = () => ({
    serviceName: 'shop-api',
    status: 'ACTIVE',
    taskDefinition: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
    deployments,
  });
  const definitions = new Map([
    [
      11,
      {
        taskDefinitionArn: TD(11),
        family: 'shop-api',
        revision: 11,
        status: 'ACTIVE' as const,
        containerDefinitions: [{ name: 'web', image: `${REPO}@sha256:${'a'.repeat(64)}` }],
      },
    ],
    [
      12,
      {
        taskDefinitionArn: TD(12),
        family: 'shop-api',
        revision: 12,
        status: 'ACTIVE' as const,
        containerDefinitions: [{ name: 'web', image: `${REPO}@sha256:${'b'.repeat(64)}` }],
      },
    ],
  ]);
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const revision = /:(\d+)$/.exec(input.taskDefinition)?.[1];
    return { taskDefinition: definitions.get(revision ? Number(revision) : 12), tags: [] };
  });
  ecs.on(DescribeServicesCommand).callsFake(() => {
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (primary?.rolloutState === 'IN_PROGRESS' && ++reads >= looks) {
      primary.rolloutState = 'COMPLETED';
      primary.runningCount = 2;
      deployments = [primary];
    }
    return { services: [service()], failures: [] };
  });
  ecs.on(UpdateServiceCommand).callsFake((input: { taskDefinition: string }) => {
    const now = new Date();
    deployments = [
      {
        // A second UpdateService would make a second deployment: the test counts the calls.
        id: `ecs-svc/${2222222222222222222n + BigInt(ecs.commandCalls(UpdateServiceCommand).length - 1)}`,
        status: 'PRIMARY',
        taskDefinition: input.taskDefinition,
        desiredCount: 2,
        runningCount: 0,
        pendingCount: 2,
        failedTasks: 0,
        createdAt: now,
        updatedAt: now,
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: 'ECS deployment in progress.',
      },
      ...deployments.map((d) => ({ ...d, status: 'ACTIVE' })),
    ];
    return { service: service() };
  });
}

/**
 * An ECS service caught mid-release: the bad revision (12) is still replacing the good one
 * (11). StopServiceDeployment with ROLLBACK makes the service go back to 11, COMPLETED after
 * `looks` reads; ListServiceDeployments shows the service deployment's state as ECS would.
 */
const SERVICE_DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/shop-api/NCWGC2ZR-taawPAYrIaU5`;
function fakeEcsMidRelease(looks: number) {
  fakeEcsService(looks);
  const at = new Date(Date.now() - 60_000);
  const rollout = (id: string, taskDefinition: string, status: string, rolloutState: 'IN_PROGRESS' | 'COMPLETED') =>
    ({
      id,
      status,
      taskDefinition,
      desiredCount: 2,
      runningCount: 1,
      pendingCount: 1,
      failedTasks: 0,
      createdAt: at,
      updatedAt: at,
      rolloutState,
      rolloutStateReason: `ECS deployment ${id}.`,
    }) as EcsDeployment;
  let state: ServiceDeploymentStatus = 'IN_PROGRESS';
  let reads = 0;
  let deployments = [
    rollout('ecs-svc/3333333333333333333', TD(12), 'PRIMARY', 'IN_PROGRESS'),
    rollout('ecs-svc/1111111111111111111', TD(11), 'ACTIVE', 'COMPLETED'),
  ];
  ecs.on(DescribeServicesCommand).callsFake(() => {
    if (state === 'ROLLBACK_IN_PROGRESS' && ++reads >= looks) {
      state = 'ROLLBACK_SUCCESSFUL';
      deployments = [{ ...rollout('ecs-svc/4444444444444444444', TD(11), 'PRIMARY', 'COMPLETED'), runningCount: 2 }];
    }
    return {
      services: [{ serviceName: 'shop-api', status: 'ACTIVE', taskDefinition: TD(12), deployments }],
      failures: [],
    };
  });
  ecs.on(ListServiceDeploymentsCommand).callsFake((input: { status: string[] }) => ({
    serviceDeployments: input.status.includes(state)
      ? [{ serviceDeploymentArn: SERVICE_DEPLOYMENT, status: state, createdAt: at, startedAt: at }]
      : [],
  }));
  ecs.on(StopServiceDeploymentCommand).callsFake(() => {
    state = 'ROLLBACK_IN_PROGRESS';
    deployments = [
      rollout('ecs-svc/4444444444444444444', TD(11), 'PRIMARY', 'IN_PROGRESS'),
      { ...deployments[0], status: 'ACTIVE' } as EcsDeployment,
    ];
    return { serviceDeploymentArn: SERVICE_DEPLOYMENT };
  });
}

const ecsTarget = {
  via: 'ecs',
  accountId: ACCOUNT,
  region: REGION,
  cluster: 'prod',
  service: 'shop-api',
  containerName: 'web',
  ...RUN_TIMING,
};

describe('a whole run per redeploy target', () => {
  for (const crash of [false, true]) {
    const when = crash ? ', after a crash between UpdateService and the checkpoint' : '';
    it(`ecs: reuses the recorded task definition, follows the rollout to COMPLETED, one UpdateService${when}`, async () => {
      const environment = crash ? 'ecs-crash' : 'ecs-ok';
      fakeEcsService(3);
      const { ports, starts } = portsWith(environment, ecsTarget, crash);

      const { result, redeploys } = await runOnce(environment, ports);

      expect(result.status).toBe('SUCCEEDED');
      expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: 'prod', service: 'shop-api', taskDefinition: TD(11) },
      ]);
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
      expect(starts).toEqual(
        crash ? ['ecs-svc/2222222222222222222', 'ecs-svc/2222222222222222222'] : ['ecs-svc/2222222222222222222'],
      );
      expect(result.redeploy).toMatchObject({
        via: 'ecs',
        externalId: 'ecs-svc/2222222222222222222',
        url: `https://${REGION}.console.aws.amazon.com/ecs/v2/clusters/prod/services/shop-api/deployments?region=${REGION}`,
      });
      expect(redeploys).toEqual([expect.objectContaining({ imageTag: 'v2.0.0', status: 'DEPLOYED' })]);
      expect(result.steps.find((s) => s.name === 'redeploy')?.detail).toMatch(
        /(^no deployment in progress; |^)new deployment: UpdateService to .*shop-api:11: ECS deployment ecs-svc\/2222222222222222222 completed/,
      );
    });
  }

  for (const crash of [false, true]) {
    const when = crash ? ', after a crash between the stop and the checkpoint' : '';
    it(`ecs fast path: the bad release still rolling out is stopped with ROLLBACK, once, and followed back${when}`, async () => {
      const environment = crash ? 'ecs-stop-crash' : 'ecs-stop';
      fakeEcsMidRelease(3);
      const { ports, starts } = portsWith(environment, ecsTarget, crash);

      const { result, redeploys } = await runOnce(environment, ports);

      expect(result.status).toBe('SUCCEEDED');
      expect(ecs.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        { serviceDeploymentArn: SERVICE_DEPLOYMENT, stopType: 'ROLLBACK' },
      ]);
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
      expect(starts).toEqual(crash ? [SERVICE_DEPLOYMENT, SERVICE_DEPLOYMENT] : [SERVICE_DEPLOYMENT]);
      expect(result.redeploy).toMatchObject({ via: 'ecs', externalId: SERVICE_DEPLOYMENT });
      expect(result.steps.find((s) => s.name === 'redeploy')?.detail).toBe(
        `fast path: stopped the in-progress ECS deployment ${SERVICE_DEPLOYMENT} with ROLLBACK: the service is back on ${TD(11)}: 2 running, 1 pending, 0 failed of 2 desired`,
      );
      expect(redeploys).toEqual([expect.objectContaining({ imageTag: 'v2.0.0', status: 'DEPLOYED' })]);
    });
  }

  for (const crash of [false, true]) {
    const when = crash ? ', after a crash between the start and the checkpoint' : '';
    it(`codepipeline: one execution (clientRequestToken = run id) followed to Succeeded${when}`, async () => {
      const environment = crash ? 'pipe-crash' : 'pipe-ok';
      const executionId = crash ? 'c0ffee00-0000-4000-8000-000000000002' : 'c0ffee00-0000-4000-8000-000000000001';
      codepipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: executionId });
      codepipeline
        .on(GetPipelineExecutionCommand)
        .resolvesOnce({
          pipelineExecution: { pipelineName: 'shop-deploy', pipelineExecutionId: executionId, status: 'InProgress' },
        })
        .resolves({
          pipelineExecution: { pipelineName: 'shop-deploy', pipelineExecutionId: executionId, status: 'Succeeded' },
        });
      const { ports, starts } = portsWith(
        environment,
        { via: 'codepipeline', accountId: ACCOUNT, region: REGION, pipeline: 'shop-deploy', ...RUN_TIMING },
        crash,
      );

      const { run, result, v2, redeploys } = await runOnce(environment, ports);

      expect(result.status).toBe('SUCCEEDED');
      const startsSent = codepipeline.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input);
      // A replay repeats the call with the same token; CodePipeline answers it with the same execution.
      expect(startsSent).toHaveLength(crash ? 2 : 1);
      for (const input of startsSent) {
        expect(input).toEqual({
          name: 'shop-deploy',
          clientRequestToken: run.id,
          variables: [
            { name: 'IMAGE_TAG', value: 'v2.0.0' },
            { name: 'ENVIRONMENT', value: environment },
            { name: 'ROLLBACK_OF', value: v2.id },
          ],
        });
      }
      expect(new Set(starts)).toEqual(new Set([executionId]));
      expect(redeploys).toEqual([expect.objectContaining({ status: 'DEPLOYED' })]);
    });
  }

  describe('github-actions', () => {
    let github: FakeGitHub;
    afterAll(() => github?.close());
    const targetOf = (server: FakeGitHub) => ({
      via: 'github-actions',
      owner: server.owner,
      repo: server.repo,
      workflow: server.workflow,
      ref: 'main',
      tokenSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:gh-AbCdEf`,
      apiUrl: server.url,
      ...RUN_TIMING,
    });

    for (const crash of [false, true]) {
      const when = crash ? ', after a crash between the dispatch and the checkpoint' : '';
      it(`dispatches once and follows the run to success${when}`, async () => {
        await github?.close();
        github = await startFakeGitHub({ autoComplete: { afterLooks: 2, conclusion: 'success' } });
        secrets.on(GetSecretValueCommand).resolves({ SecretString: github.token });
        const environment = crash ? 'gha-crash' : 'gha-ok';
        const { ports, starts } = portsWith(environment, targetOf(github), crash);

        const { run, result, redeploys } = await runOnce(environment, ports);

        expect(result.status).toBe('SUCCEEDED');
        const dispatches = github.requests.filter((r) => r.method === 'POST');
        expect(dispatches).toHaveLength(1);
        expect(dispatches[0]?.body).toMatchObject({ inputs: { run_id: run.id } });
        expect(new Set(starts).size).toBe(1);
        expect(result.redeploy).toMatchObject({ via: 'github-actions', url: github.runs[0]?.html_url });
        expect(redeploys).toEqual([expect.objectContaining({ status: 'DEPLOYED' })]);
      });
    }

    it('a run concluded failure fails the run at the redeploy step, the redeploy recorded FAILED', async () => {
      await github?.close();
      github = await startFakeGitHub({ autoComplete: { afterLooks: 1, conclusion: 'failure' } });
      secrets.on(GetSecretValueCommand).resolves({ SecretString: github.token });
      const { ports } = portsWith('gha-fails', targetOf(github), false);

      const { result, redeploys, state } = await runOnce('gha-fails', ports);

      expect(result.status).toBe('FAILED');
      expect(result.failure).toMatchObject({ step: 'redeploy', detail: expect.stringContaining('concluded failure') });
      expect(redeploys).toEqual([expect.objectContaining({ status: 'FAILED' })]);
      expect(state.types).toContain('ROLLBACK_FAILED');
    });
  });
});
