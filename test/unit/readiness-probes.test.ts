/**
 * The readiness lookups at the SDK boundary (aws-sdk-client-mock): what each answer of ECS,
 * ECR, CodePipeline and CloudWatch makes of a check, including the faults only a mock makes
 * (throttling, 5xx) and a pipeline that exists (moto's GetPipeline answer is one the SDK
 * cannot read). The same lookups against moto_server, over the real store:
 * test/integration/moto-readiness.test.ts.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient, GetPipelineCommand, PipelineNotFoundException } from '@aws-sdk/client-codepipeline';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsTargetProbe, CloudWatchAlarmProbe } from '../../functions/adapters/readiness-probes.js';
import type { CodePipelineTarget, EcsTarget } from '../../functions/core/redeploy/aws.js';
import type { RedeployTarget } from '../../functions/core/redeploy/targets.js';
import { deploymentFixture } from '../support/fixtures.js';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const pipelines = mockClient(CodePipelineClient);
const cloudwatch = mockClient(CloudWatchClient);
afterEach(() => {
  for (const m of [ecs, ecr, pipelines, cloudwatch]) m.reset();
});

const DIGEST = `sha256:${'c'.repeat(64)}`;
const common = {
  timeoutMinutes: 30,
  pollSeconds: 30,
  verify: { alarms: [], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
};
const ECS: EcsTarget = {
  via: 'ecs',
  accountId: '123456789012',
  region: 'eu-west-1',
  cluster: 'web',
  service: 'api',
  containerName: 'app',
  passRoleArns: [],
  imageRepositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/web',
};
const PIPELINE: CodePipelineTarget = {
  via: 'codepipeline',
  accountId: '123456789012',
  region: 'eu-west-1',
  pipeline: 'web-deploy',
};
const credentials = async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' });
const noWait = { backoff: { sleep: async () => {} }, credentials };
const record = deploymentFixture({ imageTag: 'v1', imageDigest: DIGEST });
const probe = (target: EcsTarget | CodePipelineTarget) =>
  new AwsTargetProbe(noWait).probe('prod', { ...target, ...common } as RedeployTarget, record);

const activeService = () =>
  ecs.on(DescribeServicesCommand, { cluster: 'web', services: ['api'] }).resolves({
    services: [
      {
        serviceName: 'api',
        status: 'ACTIVE',
        taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
      },
    ],
  });

describe('the ECS target probe', () => {
  it('finds the service ACTIVE, its container, and the image by its recorded digest', async () => {
    activeService();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'app' }] } });
    ecr
      .on(DescribeImagesCommand, {
        registryId: '123456789012',
        repositoryName: 'team/web',
        imageIds: [{ imageDigest: DIGEST }],
      })
      .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1'] }] });
    const result = await probe(ECS);
    expect(result).toEqual({
      kind: 'ok',
      detail: `ECS service api in cluster web is ACTIVE with container app; v1 (${DIGEST}) is in team/web`,
    });
  });

  it('reports a missing service, a draining one and a missing cluster as missing', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    expect(await probe(ECS)).toEqual({ kind: 'missing', detail: 'ECS service api in cluster web: MISSING' });
    ecs.reset();
    ecs.on(DescribeServicesCommand).resolves({ services: [{ status: 'DRAINING', taskDefinition: 'td' }] });
    expect(await probe(ECS)).toEqual({
      kind: 'missing',
      detail: 'ECS service api in cluster web is DRAINING, not ACTIVE',
    });
    ecs.reset();
    ecs
      .on(DescribeServicesCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    expect((await probe(ECS)).kind).toBe('missing');
  });

  it('reports a task definition without the container as missing, naming what it has', async () => {
    activeService();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'sidecar' }] } });
    const result = await probe(ECS);
    expect(result.kind).toBe('missing');
    expect(result.detail).toContain('no container "app" (it has: sidecar)');
  });

  it('reports an expired image, and a tag moved off the recorded digest, as missing', async () => {
    activeService();
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { containerDefinitions: [{ name: 'app' }] } });
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'gone', $metadata: {} }));
    expect(await probe(ECS)).toEqual({
      kind: 'missing',
      detail: `v1 (${DIGEST}) is no longer in team/web (ImageNotFoundException)`,
    });
    ecr.reset();
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v0'] }] });
    expect((await probe(ECS)).detail).toBe(`the tag v1 in team/web no longer points to the recorded digest ${DIGEST}`);
  });

  it('is an error (the check is skipped), not missing, when ECS throttles every attempt or fails', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecs.on(DescribeServicesCommand).rejects(throttled);
    expect(await probe(ECS)).toEqual({ kind: 'error', detail: 'ThrottlingException: Rate exceeded' });
    expect(ecs.commandCalls(DescribeServicesCommand).length).toBe(5);
    ecs.reset();
    ecs.on(DescribeServicesCommand).rejects(Object.assign(new Error('down'), { name: 'ServerException' }));
    expect(await probe(ECS)).toEqual({ kind: 'error', detail: 'ServerException: down' });
  });
});

describe('the CodePipeline target probe', () => {
  it('finds the pipeline, reports a missing one as missing and a fault as an error', async () => {
    pipelines
      .on(GetPipelineCommand, { name: 'web-deploy' })
      .resolves({ pipeline: { name: 'web-deploy', roleArn: 'r', stages: [] } });
    expect(await probe(PIPELINE)).toEqual({ kind: 'ok', detail: 'pipeline web-deploy exists' });
    pipelines.reset();
    pipelines.on(GetPipelineCommand).rejects(new PipelineNotFoundException({ message: 'nope', $metadata: {} }));
    expect(await probe(PIPELINE)).toEqual({
      kind: 'missing',
      detail: 'pipeline web-deploy does not exist in 123456789012 eu-west-1',
    });
    pipelines.reset();
    pipelines.on(GetPipelineCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    expect(await probe(PIPELINE)).toEqual({ kind: 'error', detail: 'AccessDeniedException: denied' });
  });
});

describe('the CloudWatch alarm probe', () => {
  it('names the verify alarms CloudWatch does not have, and is an error when it cannot be asked', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNames: ['prod-5xx', 'prod-latency', 'prod-composite'] })
      .resolves({ MetricAlarms: [{ AlarmName: 'prod-5xx' }], CompositeAlarms: [{ AlarmName: 'prod-composite' }] });
    const probeOf = new CloudWatchAlarmProbe(new CloudWatchClient({ region: 'eu-west-1', credentials }), {
      sleep: async () => {},
    });
    expect(await probeOf.missing(['prod-5xx', 'prod-latency', 'prod-composite'])).toEqual({
      kind: 'ok',
      missing: ['prod-latency'],
    });
    cloudwatch.reset();
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect(await probeOf.missing(['prod-5xx'])).toEqual({ kind: 'error', detail: 'Throttling: Rate exceeded' });
  });
});
