import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  ConflictException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Deployment as EcsDeployment,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  ServiceDeploymentNotFoundException,
  StopServiceDeploymentCommand,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EcsRedeployer, imageFor, RUN_ID_TAG, runsImage } from '../../functions/adapters/redeploy/ecs.js';
import { EcsTarget } from '../../functions/core/redeploy/aws.js';
import { RedeployRefusedError, type RedeployRequest } from '../../functions/core/redeploy/port.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The ECS target at its SDK boundary: every ECS (and ECR) call is answered with the shapes
 * the ECS API reference documents for DescribeServices, DescribeTaskDefinition,
 * RegisterTaskDefinition and UpdateService, and each test asserts the exact calls made.
 * test/integration/moto-ecs.test.ts runs start against ECS in moto_server; the mock stays for
 * what moto cannot produce: rollout states (COMPLETED, circuit breaker FAILED), a deployment
 * replaced or gone, the replay that finds its own deployment, throttling.
 */

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-api`;
const TD = (revision: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-api:${revision}`;
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const RUN_STARTED = new Date('2026-11-29T05:00:00.000Z');
const RUN_ID = ulid(RUN_STARTED.getTime());

const target = EcsTarget.parse({
  via: 'ecs',
  accountId: ACCOUNT,
  region: REGION,
  cluster: 'prod',
  service: 'shop-api',
  containerName: 'web',
});

const current = deploymentFixture({ imageTag: 'v2.1.0', imageDigest: DIGEST_B });
const good = deploymentFixture({ imageTag: 'v2.0.0', imageDigest: DIGEST_A });
const request: RedeployRequest = {
  runId: RUN_ID,
  environment: 'prod',
  target: good,
  current,
  redeployId: ulid(RUN_STARTED.getTime() + 1),
};

/** No waiting between throttled attempts; the waits asked for are kept to check. */
const waits: number[] = [];
const backoff = { sleep: async (ms: number) => void waits.push(ms) };

function taskDefinition(revision: number, image: string, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE'): TaskDefinition {
  return {
    taskDefinitionArn: TD(revision),
    family: 'shop-api',
    revision,
    status,
    taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-task`,
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '512',
    memory: '1024',
    containerDefinitions: [
      {
        name: 'web',
        image,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'LOG_LEVEL', value: 'info' }],
      },
      { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: true },
    ],
    volumes: [],
    placementConstraints: [],
    registeredAt: new Date('2026-11-20T10:00:00Z'),
    registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/cd/pipeline`,
  };
}

function deployment(
  id: string,
  taskDefinitionArn: string,
  status: 'PRIMARY' | 'ACTIVE',
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED',
  createdAt: Date,
  reason = `ECS deployment ${id} in progress.`,
): EcsDeployment {
  return {
    id,
    status,
    taskDefinition: taskDefinitionArn,
    desiredCount: 3,
    pendingCount: rolloutState === 'IN_PROGRESS' ? 2 : 0,
    runningCount: rolloutState === 'COMPLETED' ? 3 : 1,
    failedTasks: rolloutState === 'FAILED' ? 3 : 0,
    createdAt,
    updatedAt: createdAt,
    launchType: 'FARGATE',
    rolloutState,
    rolloutStateReason: reason,
    deploymentCircuitBreaker: undefined,
  } as EcsDeployment;
}

const OLD_DEPLOYMENT = deployment(
  'ecs-svc/1111111111111111111',
  TD(12),
  'PRIMARY',
  'COMPLETED',
  new Date('2026-11-29T04:00:00Z'),
  'ECS deployment ecs-svc/1111111111111111111 completed.',
);
const NEW_ID = 'ecs-svc/2222222222222222222';

function service(deployments: EcsDeployment[]) {
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  return {
    services: [
      {
        serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/shop-api`,
        serviceName: 'shop-api',
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        status: 'ACTIVE',
        desiredCount: 3,
        runningCount: 3,
        pendingCount: 0,
        launchType: 'FARGATE' as const,
        taskDefinition: primary?.taskDefinition,
        deployments,
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          maximumPercent: 200,
          minimumHealthyPercent: 100,
        },
      },
    ],
    failures: [],
  };
}

/** DescribeTaskDefinition answers from `revisions` (by ARN, `family:revision` or family = latest). */
function answerTaskDefinitions(
  revisions: Map<number, TaskDefinition>,
  tags = new Map<number, { key: string; value: string }[]>(),
) {
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const ref = input.taskDefinition;
    const match = /:(\d+)$/.exec(ref);
    const revision = match
      ? Number(match[1])
      : Math.max(...[...revisions.keys()].filter((r) => revisions.get(r)?.status === 'ACTIVE'));
    const found = revisions.get(revision);
    if (!found) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });
    return { taskDefinition: found, tags: tags.get(revision) ?? [] };
  });
}

function updateAnswers(taskDefinitionArn: string) {
  ecs.on(UpdateServiceCommand).resolves({
    service: service([
      deployment(NEW_ID, taskDefinitionArn, 'PRIMARY', 'IN_PROGRESS', new Date('2026-11-29T05:00:05Z')),
      { ...OLD_DEPLOYMENT, status: 'ACTIVE' },
    ]).services[0],
  });
}

beforeEach(() => {
  ecs.reset();
  ecr.reset();
  waits.length = 0;
});
afterEach(() => {
  ecs.reset();
  ecr.reset();
});

describe('ecs start', () => {
  it("reuses the target's recorded task definition while it is ACTIVE, and updates the service to it", async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(
      new Map([
        [12, taskDefinition(12, `${REPO}@${DIGEST_B}`)],
        [11, taskDefinition(11, `${REPO}@${DIGEST_A}`)],
        [10, taskDefinition(10, `${REPO}:v1.9.0`)],
      ]),
    );
    updateAnswers(TD(11));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(handle).toEqual({
      via: 'ecs',
      externalId: NEW_ID,
      url: `https://${REGION}.console.aws.amazon.com/ecs/v2/clusters/prod/services/shop-api/deployments?region=${REGION}`,
      state: { taskDefinition: TD(11) },
      detail: `no deployment in progress; new deployment: UpdateService to ${TD(11)}`,
    });
    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      services: ['shop-api'],
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    const updates = ecs.commandCalls(UpdateServiceCommand);
    expect(updates.map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod', service: 'shop-api', taskDefinition: TD(11) },
    ]);
  });

  it('registers a revision of the current task definition with only the container image replaced, by digest, when the recorded one is INACTIVE', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(
      new Map([
        [12, taskDefinition(12, `${REPO}:v2.1.0`)],
        [11, taskDefinition(11, `${REPO}:v2.0.0`, 'INACTIVE')],
      ]),
      new Map([[12, [{ key: 'team', value: 'shop' }]]]),
    );
    ecs.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: taskDefinition(13, `${REPO}@${DIGEST_A}`),
      tags: [{ key: RUN_ID_TAG, value: RUN_ID }],
    });
    updateAnswers(TD(13));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(handle.externalId).toBe(NEW_ID);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand);
    expect(registered).toHaveLength(1);
    const input = registered[0]?.args[0].input;
    const currentDefinition = taskDefinition(12, `${REPO}:v2.1.0`);
    expect(input?.family).toBe('shop-api');
    expect(input?.taskRoleArn).toBe(currentDefinition.taskRoleArn);
    expect(input?.executionRoleArn).toBe(currentDefinition.executionRoleArn);
    expect(input?.cpu).toBe('512');
    expect(input?.containerDefinitions).toEqual([
      { ...currentDefinition.containerDefinitions?.[0], image: `${REPO}@${DIGEST_A}` },
      currentDefinition.containerDefinitions?.[1],
    ]);
    expect(input?.tags).toEqual([
      { key: 'team', value: 'shop' },
      { key: RUN_ID_TAG, value: RUN_ID },
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([TD(13)]);
  });

  it('registers by tag when the target recorded no digest', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(new Map([[12, taskDefinition(12, `${REPO}:v2.1.0`)]]));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: taskDefinition(13, `${REPO}:v2.0.0`) });
    updateAnswers(TD(13));

    await new EcsRedeployer(target, { backoff }).start({ ...request, target: { ...good, imageDigest: null } });

    const image = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.containerDefinitions?.[0]?.image;
    expect(image).toBe(`${REPO}:v2.0.0`);
  });

  it('a replayed start finds the deployment it already made and calls neither RegisterTaskDefinition nor UpdateService', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(
        service([
          deployment(NEW_ID, TD(13), 'PRIMARY', 'IN_PROGRESS', new Date('2026-11-29T05:00:05Z')),
          { ...OLD_DEPLOYMENT, status: 'ACTIVE' },
        ]),
      );
    answerTaskDefinitions(
      new Map([
        [12, taskDefinition(12, `${REPO}:v2.1.0`)],
        [13, taskDefinition(13, `${REPO}@${DIGEST_A}`)],
      ]),
      new Map([[13, [{ key: RUN_ID_TAG, value: RUN_ID }]]]),
    );

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(handle.externalId).toBe(NEW_ID);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a replay after registering but before UpdateService reuses the registered revision instead of registering another', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(
      new Map([
        [12, taskDefinition(12, `${REPO}:v2.1.0`)],
        [13, taskDefinition(13, `${REPO}@${DIGEST_A}`)],
      ]),
      new Map([[13, [{ key: RUN_ID_TAG, value: RUN_ID }]]]),
    );
    updateAnswers(TD(13));

    await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([TD(13)]);
  });

  it('a deployment of the target image made before the run began is not mistaken for this run', async () => {
    // The bad release is still replacing the good one when the alarm fires: both are on the service.
    const bad = deployment(
      'ecs-svc/5555555555555555555',
      TD(12),
      'PRIMARY',
      'IN_PROGRESS',
      new Date('2026-11-29T04:59:00Z'),
    );
    const draining = deployment(
      'ecs-svc/6666666666666666666',
      TD(11),
      'ACTIVE',
      'COMPLETED',
      new Date('2026-11-29T04:00:00Z'),
    );
    ecs.on(DescribeServicesCommand).resolves(service([bad, draining]));
    answerTaskDefinitions(
      new Map([
        [11, taskDefinition(11, `${REPO}@${DIGEST_A}`)],
        [12, taskDefinition(12, `${REPO}@${DIGEST_B}`)],
      ]),
    );
    updateAnswers(TD(11));

    await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([TD(11)]);
  });

  it('refuses when the registry tag no longer points to the recorded digest, before changing anything', async () => {
    const checked = EcsTarget.parse({
      ...target,
      imageRepositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop-api`,
    });
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(new Map([[12, taskDefinition(12, `${REPO}:v2.1.0`)]]));
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        {
          registryId: ACCOUNT,
          repositoryName: 'shop-api',
          imageDigest: DIGEST_A,
          imageTags: [],
          imageSizeInBytes: 52_428_800,
          imagePushedAt: new Date('2026-11-20T09:00:00Z'),
          imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        },
      ],
    });

    const start = new EcsRedeployer(checked, { backoff }).start(request);

    await expect(start).rejects.toThrow(RedeployRefusedError);
    await expect(start).rejects.toThrow(
      /tag v2\.0\.0 in shop-api no longer points to the recorded digest sha256:a{64}/,
    );
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: 'shop-api',
      imageIds: [{ imageDigest: DIGEST_A }],
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses when the recorded image is gone from the registry', async () => {
    const checked = EcsTarget.parse({
      ...target,
      imageRepositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop-api`,
    });
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(new Map([[12, taskDefinition(12, `${REPO}:v2.1.0`)]]));
    ecr.on(DescribeImagesCommand).rejects(
      new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'${DIGEST_A}'} does not exist within the repository with name 'shop-api' in the registry with id '${ACCOUNT}'`,
        $metadata: { httpStatusCode: 400 },
      }),
    );

    await expect(new EcsRedeployer(checked, { backoff }).start(request)).rejects.toThrow(
      /image sha256:a{64} \(recorded for v2\.0\.0\) is no longer in shop-api/,
    );
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('refuses a service ECS does not know, naming it', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [],
      failures: [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/shop-api`, reason: 'MISSING' }],
    });
    await expect(new EcsRedeployer(target, { backoff }).start(request)).rejects.toThrow(
      new RedeployRefusedError('ECS service shop-api in cluster prod: MISSING'),
    );
  });

  it('refuses a task definition without the named container', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(new Map([[12, taskDefinition(12, `${REPO}:v2.1.0`)]]));
    const other = EcsTarget.parse({ ...target, containerName: 'api' });
    await expect(new EcsRedeployer(other, { backoff }).start(request)).rejects.toThrow(
      /has no container "api" \(it has: web, log-router\)/,
    );
  });

  it('retries a throttled UpdateService with backoff, then succeeds with one update made', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([OLD_DEPLOYMENT]));
    answerTaskDefinitions(
      new Map([
        [11, taskDefinition(11, `${REPO}@${DIGEST_A}`)],
        [12, taskDefinition(12, `${REPO}:v2.1.0`)],
      ]),
    );
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    ecs
      .on(UpdateServiceCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({
        service: service([deployment(NEW_ID, TD(11), 'PRIMARY', 'IN_PROGRESS', new Date('2026-11-29T05:00:05Z'))])
          .services[0],
      });

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(handle.externalId).toBe(NEW_ID);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(3);
    expect(waits).toHaveLength(2);
    // Full jitter under a doubling cap: the second wait's ceiling is twice the first's.
    expect(waits[0]).toBeLessThanOrEqual(200);
    expect(waits[1]).toBeLessThanOrEqual(400);
  });

  it('gives up after five throttled attempts, throwing the throttle for the workflow to retry', async () => {
    ecs
      .on(DescribeServicesCommand)
      .rejects(
        Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      );
    await expect(new EcsRedeployer(target, { backoff }).start(request)).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(5);
    expect(waits).toHaveLength(4);
  });
});

describe('ecs check follows the PRIMARY deployment rolloutState', () => {
  const handle = { via: 'ecs' as const, externalId: NEW_ID, url: null };
  const at = new Date('2026-11-29T05:00:05Z');

  it('IN_PROGRESS runs, with the task counts', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([deployment(NEW_ID, TD(13), 'PRIMARY', 'IN_PROGRESS', at)]));
    expect(await new EcsRedeployer(target, { backoff }).check(request, handle)).toEqual({
      status: 'RUNNING',
      detail: `ECS deployment ${NEW_ID} in progress: 1 running, 2 pending, 0 failed of 3 desired`,
    });
  });

  it('COMPLETED succeeds', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([deployment(NEW_ID, TD(13), 'PRIMARY', 'COMPLETED', at)]));
    expect((await new EcsRedeployer(target, { backoff }).check(request, handle)).status).toBe('SUCCEEDED');
  });

  it('the circuit breaker failing it fails the redeploy, even though ECS rolled the service back to a stable state', async () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.';
    ecs
      .on(DescribeServicesCommand)
      .resolves(
        service([
          deployment('ecs-svc/3333333333333333333', TD(12), 'PRIMARY', 'COMPLETED', new Date('2026-11-29T05:09:00Z')),
          deployment(NEW_ID, TD(13), 'ACTIVE', 'FAILED', at, reason),
        ]),
      );
    expect(await new EcsRedeployer(target, { backoff }).check(request, handle)).toEqual({
      status: 'FAILED',
      detail: `ECS deployment ${NEW_ID} failed: ${reason}`,
    });
  });

  it('replaced by another deployment before it completed fails, naming the replacement', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(
        service([
          deployment('ecs-svc/4444444444444444444', TD(14), 'PRIMARY', 'IN_PROGRESS', new Date('2026-11-29T05:03:00Z')),
          deployment(NEW_ID, TD(13), 'ACTIVE', 'IN_PROGRESS', at),
        ]),
      );
    expect(await new EcsRedeployer(target, { backoff }).check(request, handle)).toEqual({
      status: 'FAILED',
      detail: `ECS deployment ${NEW_ID} was replaced by ecs-svc/4444444444444444444 (${TD(14)}) before it completed`,
    });
  });

  it('gone from the service before it completed fails', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(service([deployment('ecs-svc/4444444444444444444', TD(14), 'PRIMARY', 'COMPLETED', at)]));
    const progress = await new EcsRedeployer(target, { backoff }).check(request, handle);
    expect(progress.status).toBe('FAILED');
    expect(progress.detail).toMatch(/no longer on the service: it was replaced by ecs-svc\/4444444444444444444/);
  });
});

describe('ecs fast path: the deployment being rolled back is still in progress', () => {
  // The bad release (v2.1.0, revision 12) is still replacing the good one (v2.0.0, revision 11).
  const SERVICE_DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/shop-api/r9i43YFjvgF_xlg7m2eJ1r`;
  const badAt = new Date('2026-11-29T04:59:00Z');
  const bad = deployment('ecs-svc/5555555555555555555', TD(12), 'PRIMARY', 'IN_PROGRESS', badAt);
  const draining = deployment(
    'ecs-svc/6666666666666666666',
    TD(11),
    'ACTIVE',
    'COMPLETED',
    OLD_DEPLOYMENT.createdAt as Date,
  );
  const revisions = () =>
    new Map([
      [11, taskDefinition(11, `${REPO}@${DIGEST_A}`)],
      [12, taskDefinition(12, `${REPO}@${DIGEST_B}`)],
    ]);
  const listed = (status: 'PENDING' | 'IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS') => ({
    serviceDeployments: [
      {
        serviceDeploymentArn: SERVICE_DEPLOYMENT,
        serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/shop-api`,
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`,
        startedAt: badAt,
        createdAt: badAt,
        targetServiceRevisionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/prod/shop-api/4980306466373577095`,
        status,
      },
    ],
  });

  it.each(['IN_PROGRESS', 'PENDING'] as const)(
    'listed %s: stops it with stopType ROLLBACK instead of a new deployment, and says so',
    async (status) => {
      ecs.on(DescribeServicesCommand).resolves(service([bad, draining]));
      answerTaskDefinitions(revisions());
      ecs.on(ListServiceDeploymentsCommand).resolves(listed(status));
      ecs.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: SERVICE_DEPLOYMENT });

      const handle = await new EcsRedeployer(target, { backoff }).start(request);

      expect(ecs.commandCalls(ListServiceDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
        {
          cluster: 'prod',
          service: 'shop-api',
          status: ['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'],
        },
      ]);
      expect(ecs.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        { serviceDeploymentArn: SERVICE_DEPLOYMENT, stopType: 'ROLLBACK' },
      ]);
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
      expect(handle).toEqual({
        via: 'ecs',
        externalId: SERVICE_DEPLOYMENT,
        url: `https://${REGION}.console.aws.amazon.com/ecs/v2/clusters/prod/services/shop-api/deployments?region=${REGION}`,
        state: { path: 'stop', taskDefinition: TD(11), stoppedTaskDefinition: TD(12) },
        detail: `fast path: stopped the in-progress ECS deployment ${SERVICE_DEPLOYMENT} with ROLLBACK`,
      });
    },
  );

  it.each([
    [
      'ConflictException',
      () => new ConflictException({ message: 'The service deployment is not in progress.', $metadata: {} }),
    ],
    [
      'ServiceDeploymentNotFoundException',
      () => new ServiceDeploymentNotFoundException({ message: 'Service deployment not found.', $metadata: {} }),
    ],
  ])(
    'the deployment finishing between the look and the stop (%s): the normal path, from a fresh look at the service',
    async (name, error) => {
      const finished = { ...bad, rolloutState: 'COMPLETED' as const };
      const replaced = { ...draining, status: 'INACTIVE' };
      ecs
        .on(DescribeServicesCommand)
        .resolvesOnce(service([bad, draining]))
        .resolves(service([finished, replaced]));
      answerTaskDefinitions(revisions());
      ecs.on(ListServiceDeploymentsCommand).resolves(listed('IN_PROGRESS'));
      ecs.on(StopServiceDeploymentCommand).rejects(error());
      updateAnswers(TD(11));

      const handle = await new EcsRedeployer(target, { backoff }).start(request);

      expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(1);
      expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(2);
      expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: 'prod', service: 'shop-api', taskDefinition: TD(11) },
      ]);
      expect(handle.externalId).toBe(NEW_ID);
      expect(handle.state).toEqual({ taskDefinition: TD(11) });
      expect(handle.detail).toBe(
        `the deployment in progress finished before it could be stopped (${name}); new deployment: UpdateService to ${TD(11)}`,
      );
    },
  );

  it('refuses before stopping when the registry tag no longer points to the recorded digest', async () => {
    const checked = EcsTarget.parse({
      ...target,
      imageRepositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/shop-api`,
    });
    ecs.on(DescribeServicesCommand).resolves(service([bad, draining]));
    answerTaskDefinitions(revisions());
    ecs.on(ListServiceDeploymentsCommand).resolves(listed('IN_PROGRESS'));
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST_A, imageTags: ['v2.0.0-rebuilt'] }] });

    await expect(new EcsRedeployer(checked, { backoff }).start(request)).rejects.toThrow(RedeployRefusedError);

    expect(ecr.commandCalls(DescribeImagesCommand)).toHaveLength(1);
    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a replay that finds it already rolling back follows it without a second stop', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([bad, draining]));
    answerTaskDefinitions(revisions());
    ecs.on(ListServiceDeploymentsCommand).resolves(listed('ROLLBACK_IN_PROGRESS'));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(handle.externalId).toBe(SERVICE_DEPLOYMENT);
    expect(handle.state?.path).toBe('stop');
  });

  it('not when the deployment in progress is not the current record (another release is rolling out)', async () => {
    const other = deployment('ecs-svc/7777777777777777777', TD(14), 'PRIMARY', 'IN_PROGRESS', badAt);
    ecs.on(DescribeServicesCommand).resolves(service([other, draining]));
    answerTaskDefinitions(new Map([...revisions(), [14, taskDefinition(14, `${REPO}:v2.2.0`)]]));
    ecs.on(ListServiceDeploymentsCommand).resolves(listed('IN_PROGRESS'));
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: taskDefinition(15, `${REPO}@${DIGEST_A}`) });
    updateAnswers(TD(11));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(handle.detail).toMatch(/^the deployment in progress is not v2\.1\.0's; new deployment/);
  });

  it('not when the deployment it replaces is not the target (stopping would return to another version)', async () => {
    const older = { ...draining, taskDefinition: TD(10) };
    ecs.on(DescribeServicesCommand).resolves(service([bad, older]));
    answerTaskDefinitions(new Map([...revisions(), [10, taskDefinition(10, `${REPO}:v1.9.0`)]]));
    ecs.on(ListServiceDeploymentsCommand).resolves(listed('IN_PROGRESS'));
    updateAnswers(TD(11));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([TD(11)]);
    expect(handle.detail).toMatch(/^the deployment in progress is not replacing v2\.0\.0; new deployment/);
  });

  it('a workload role without the new rights: the normal path, saying why', async () => {
    ecs.on(DescribeServicesCommand).resolves(service([bad, draining]));
    answerTaskDefinitions(revisions());
    const denied = Object.assign(new Error('not authorized to perform: ecs:ListServiceDeployments'), {
      name: 'AccessDeniedException',
    });
    ecs.on(ListServiceDeploymentsCommand).rejects(denied);
    updateAnswers(TD(11));

    const handle = await new EcsRedeployer(target, { backoff }).start(request);

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(handle.detail).toMatch(/^no fast path \(ListServiceDeployments: AccessDeniedException\); new deployment/);
  });

  describe('check after the stop', () => {
    const handle = {
      via: 'ecs' as const,
      externalId: SERVICE_DEPLOYMENT,
      url: null,
      state: { path: 'stop', taskDefinition: TD(11), stoppedTaskDefinition: TD(12) },
    };
    const back = (rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED') =>
      deployment('ecs-svc/8888888888888888888', TD(11), 'PRIMARY', rolloutState, new Date('2026-11-29T05:00:02Z'));

    it('the service back on the target revision and COMPLETED succeeds', async () => {
      ecs.on(DescribeServicesCommand).resolves(service([back('COMPLETED')]));
      expect(await new EcsRedeployer(target, { backoff }).check(request, handle)).toEqual({
        status: 'SUCCEEDED',
        detail: `the service is back on ${TD(11)}: 3 running, 0 pending, 0 failed of 3 desired`,
      });
    });

    it('going back still rolling, or ECS not begun yet, runs', async () => {
      ecs
        .on(DescribeServicesCommand)
        .resolvesOnce(service([back('IN_PROGRESS')]))
        .resolves(service([bad, draining]));
      const redeployer = new EcsRedeployer(target, { backoff });
      expect((await redeployer.check(request, handle)).status).toBe('RUNNING');
      expect(await redeployer.check(request, handle)).toEqual({
        status: 'RUNNING',
        detail: `ECS has not begun going back to ${TD(11)} yet`,
      });
    });

    it('going back FAILED fails', async () => {
      ecs.on(DescribeServicesCommand).resolves(service([back('FAILED')]));
      expect((await new EcsRedeployer(target, { backoff }).check(request, handle)).status).toBe('FAILED');
    });

    it('the stopped deployment completing anyway (the stop did not take) fails, naming what runs', async () => {
      ecs.on(DescribeServicesCommand).resolves(service([{ ...bad, rolloutState: 'COMPLETED' }]));
      expect(await new EcsRedeployer(target, { backoff }).check(request, handle)).toEqual({
        status: 'FAILED',
        detail: `the service's PRIMARY deployment is ${bad.id} (${TD(12)}, COMPLETED), not ${TD(11)}`,
      });
    });
  });
});

describe('image references', () => {
  it('replaces tag or digest, keeping the registry and repository (ports included)', () => {
    const t = { imageTag: 'v2.0.0', imageDigest: DIGEST_A };
    expect(imageFor(`${REPO}:v2.1.0`, t)).toBe(`${REPO}@${DIGEST_A}`);
    expect(imageFor(`${REPO}@${DIGEST_B}`, { ...t, imageDigest: null })).toBe(`${REPO}:v2.0.0`);
    expect(imageFor('registry.local:5000/team/app:v2', { ...t, imageDigest: null })).toBe(
      'registry.local:5000/team/app:v2.0.0',
    );
    expect(imageFor('registry.local:5000/team/app', t)).toBe(`registry.local:5000/team/app@${DIGEST_A}`);
  });

  it('matches the digest where the image is pinned by one, else the tag', () => {
    const t = { imageTag: 'v2.0.0', imageDigest: DIGEST_A };
    expect(runsImage(`${REPO}@${DIGEST_A}`, t)).toBe(true);
    expect(runsImage(`${REPO}@${DIGEST_B}`, t)).toBe(false);
    expect(runsImage(`${REPO}:v2.0.0`, t)).toBe(true);
    expect(runsImage(`${REPO}:v2.0.1`, t)).toBe(false);
    expect(runsImage('registry.local:5000/app', { imageTag: 'latest', imageDigest: null })).toBe(true);
  });
});
