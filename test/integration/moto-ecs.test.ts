import { randomUUID } from 'node:crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcsRedeployer, RUN_ID_TAG } from '../../functions/adapters/redeploy/ecs.js';
import { redeployerFor } from '../../functions/adapters/redeploy/index.js';
import { EcsTarget } from '../../functions/core/redeploy/aws.js';
import { RedeployRefusedError, type RedeployRequest } from '../../functions/core/redeploy/port.js';
import { manifest, pushImage } from '../support/ecr-push.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The ECS redeploy target's start against ECS (and ECR, STS) in moto_server: a cluster, a
 * service on the bad revision, the task definitions registered the way a pipeline registers
 * them. The redeployer builds its own clients, pointed at moto only by AWS_ENDPOINT_URL_ECS,
 * _ECR and _STS.
 *
 * What moto cannot make stays with the SDK-boundary tests in test/unit/redeploy-ecs.test.ts:
 * the rollout states (moto starts a service's deployment IN_PROGRESS and never moves it on:
 * no COMPLETED, no circuit breaker FAILED), a deployment replaced by another (moto's
 * UpdateService changes the service's task definition but keeps its first deployment as the
 * PRIMARY one, where ECS starts a new one), so also the replay that finds its own deployment,
 * and throttling.
 */

const REGION = 'us-east-1';
/** moto's default account (the service's own), and a workload account reached through a role. */
const ACCOUNT = '123456789012';
const WORKLOAD = '210987654321';
const run = randomUUID().slice(0, 8);
const REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/shop-${run}`;

const ecs = new ECSClient({ region: REGION });
const ecr = new ECRClient({ region: REGION });

/** A pipeline's task definition of `family` running `image` in "web", beside a log router. */
async function register(client: ECSClient, family: string, image: string): Promise<string> {
  const answer = await client.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        { name: 'web', image, essential: true, portMappings: [{ containerPort: 8080 }] },
        { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: true },
      ],
      tags: [{ key: 'team', value: 'shop' }],
    }),
  );
  return answer.taskDefinition?.taskDefinitionArn as string;
}

/** A cluster and service whose history is v1 (revision 1) then v2 (revision 2, running now). */
async function scene(name: string, client = ecs) {
  const cluster = `c-${name}-${run}`;
  const service = `shop-${name}`;
  const family = `shop-${name}-${run}`;
  await client.send(new CreateClusterCommand({ clusterName: cluster }));
  const v1 = await register(client, family, `${REPO}:v1.0.0`);
  const v2 = await register(client, family, `${REPO}:v2.0.0`);
  await client.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: v2,
      desiredCount: 2,
      launchType: 'FARGATE',
    }),
  );
  return { cluster, service, family, v1, v2 };
}

async function serviceOf(cluster: string, service: string, client = ecs) {
  const answer = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return answer.services?.[0];
}

function requestFor(target: { imageTag: string; imageDigest?: string | null }): RedeployRequest {
  const now = Date.now();
  return {
    runId: ulid(now - 1_000),
    environment: 'prod',
    target: deploymentFixture({ imageTag: target.imageTag, imageDigest: target.imageDigest ?? null }),
    current: deploymentFixture({ imageTag: 'v2.0.0' }),
    redeployId: ulid(now),
  };
}

/** The target's configuration for a scene's service (in the service's own account unless named). */
const ecsTarget = (
  s: { cluster: string; service: string },
  extra: { accountId?: string; roleArn?: string; imageRepositoryArn?: string | undefined } = {},
) =>
  EcsTarget.parse({
    via: 'ecs',
    accountId: ACCOUNT,
    region: REGION,
    containerName: 'web',
    cluster: s.cluster,
    service: s.service,
    ...extra,
  });

describe('the ECS target starts a redeploy in moto', () => {
  it("reuses the family's earlier revision that ran the target image, and updates the service to it", async () => {
    const s = await scene('reuse');
    const redeployer = redeployerFor(ecsTarget(s));
    const handle = await redeployer.start(requestFor({ imageTag: 'v1.0.0' }));

    const service = await serviceOf(s.cluster, s.service);
    expect(service?.taskDefinition).toBe(s.v1);
    const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
    expect(handle).toEqual({
      via: 'ecs',
      externalId: primary?.id,
      url: expect.stringContaining(`/clusters/${s.cluster}/services/${s.service}/deployments`),
      state: { taskDefinition: expect.any(String) },
      // One deployment, nothing rolling out beside another: the normal path, and it says so.
      detail: `no deployment in progress; new deployment: UpdateService to ${s.v1}`,
    });
    // Nothing registered: revision 2 is still the family's newest.
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.family }));
    expect(latest.taskDefinition?.revision).toBe(2);
    // moto keeps every deployment IN_PROGRESS: the run keeps following it.
    expect(await redeployer.check(requestFor({ imageTag: 'v1.0.0' }), handle)).toMatchObject({ status: 'RUNNING' });
  });

  it('registers a revision with only the container image replaced (by digest, tagged with the run id) once the registry confirms the digest; a replay registers no second one', async () => {
    const s = await scene('register');
    const repositoryName = `shop-${run}-register`;
    const repository = await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const digest = await pushImage(ecr, repositoryName, 'v0.9.0', '9');
    const target = ecsTarget(s, { imageRepositoryArn: repository.repository?.repositoryArn });
    const request = requestFor({ imageTag: 'v0.9.0', imageDigest: digest });

    const handle = await new EcsRedeployer(target).start(request);

    const service = await serviceOf(s.cluster, s.service);
    const registered = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: service?.taskDefinition, include: ['TAGS'] }),
    );
    expect(registered.taskDefinition?.revision).toBe(3);
    expect(registered.taskDefinition?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
      ['web', `${REPO}@${digest}`],
      ['log-router', 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable'],
    ]);
    expect(registered.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'shop' },
        { key: RUN_ID_TAG, value: request.runId },
      ]),
    );
    expect(handle.externalId).toBe(service?.deployments?.find((d) => d.status === 'PRIMARY')?.id);

    // The same run again (a replay after a crash): the revision it registered, no other.
    await new EcsRedeployer(target).start(request);
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: s.family }));
    expect(latest.taskDefinition?.revision).toBe(3);
    expect((await serviceOf(s.cluster, s.service))?.taskDefinition).toBe(registered.taskDefinition?.taskDefinitionArn);
  });

  it('refuses, changing nothing, when the registry tag no longer points at the recorded digest', async () => {
    const s = await scene('drift');
    const repositoryName = `shop-${run}-drift`;
    const repository = await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const first = await ecr.send(
      new PutImageCommand({ repositoryName, imageTag: 'v0.8.0', imageManifest: manifest('8') }),
    );
    // The recorded image keeps another tag (moto, unlike ECR, deletes an image that loses its last one).
    await ecr.send(new PutImageCommand({ repositoryName, imageTag: 'stable', imageManifest: manifest('8') }));
    await ecr.send(new PutImageCommand({ repositoryName, imageTag: 'v0.8.0', imageManifest: manifest('7') }));
    const recorded = first.image?.imageId?.imageDigest as string;
    const target = ecsTarget(s, { imageRepositoryArn: repository.repository?.repositoryArn });

    await expect(
      new EcsRedeployer(target).start(requestFor({ imageTag: 'v0.8.0', imageDigest: recorded })),
    ).rejects.toThrow(
      new RedeployRefusedError(
        `the registry's tag v0.8.0 in ${repositoryName} no longer points to the recorded digest ${recorded} (that image now has tags: stable); refusing to redeploy an image other than the one recorded`,
      ),
    );
    expect((await serviceOf(s.cluster, s.service))?.taskDefinition).toBe(s.v2);
  });

  it('refuses a cluster or a service ECS does not know, naming it', async () => {
    const s = await scene('missing');
    await expect(
      new EcsRedeployer(ecsTarget({ ...s, cluster: `no-such-cluster-${run}` })).start(
        requestFor({ imageTag: 'v1.0.0' }),
      ),
    ).rejects.toThrow(
      new RedeployRefusedError(
        `ECS service ${s.service} in cluster no-such-cluster-${run}: the cluster does not exist (ClusterNotFoundException)`,
      ),
    );
    await expect(
      new EcsRedeployer(ecsTarget({ ...s, service: 'no-such-service' })).start(requestFor({ imageTag: 'v1.0.0' })),
    ).rejects.toThrow(new RedeployRefusedError(`ECS service no-such-service in cluster ${s.cluster}: MISSING`));
  });
});

describe('a target in another account, through STS AssumeRole in moto', () => {
  const roleArn = `arn:aws:iam::${WORKLOAD}:role/platform-rollback-redeploy`;
  let workload: ECSClient;

  beforeAll(async () => {
    // The workload account's own view of ECS: moto keeps each account apart and answers
    // calls signed with credentials from AssumeRole in the role's account.
    const sts = new STSClient({ region: REGION });
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'setup' }));
    workload = new ECSClient({
      region: REGION,
      credentials: {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken,
      },
    });
  });

  it("assumes the target's role and redeploys the service in the workload account", async () => {
    const s = await scene('cross', workload);
    const target = ecsTarget(s, { accountId: WORKLOAD, roleArn });
    await redeployerFor(target).start(requestFor({ imageTag: 'v1.0.0' }));
    expect((await serviceOf(s.cluster, s.service, workload))?.taskDefinition).toBe(s.v1);
    expect(s.v1).toContain(`:${WORKLOAD}:task-definition/`);
  });

  it('without the role, the service account sees no such cluster: the role is what reaches it', async () => {
    const s = await scene('no-role', workload);
    const target = ecsTarget(s, { accountId: WORKLOAD });
    await expect(redeployerFor(target).start(requestFor({ imageTag: 'v1.0.0' }))).rejects.toThrow(RedeployRefusedError);
    expect((await serviceOf(s.cluster, s.service, workload))?.taskDefinition).toBe(s.v2);
  });
});
