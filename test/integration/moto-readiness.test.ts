/**
 * Rollback readiness (core/readiness.ts, evaluateReadiness) over the real store on DynamoDB
 * Local and the real lookups (adapters/readiness-probes.ts, adapters/ecr-images.ts) against
 * ECS, ECR, CodePipeline and CloudWatch in moto_server: each check passing, failing when
 * what it looks at is gone, and skipped when the AWS API cannot be asked. The clients reach
 * moto only through AWS_ENDPOINT_URL_<SERVICE> (test/support/moto-env.ts), as deployed code
 * reaches AWS.
 *
 * At the SDK boundary (test/unit/readiness-probes.test.ts) stay throttling (retried, then
 * SKIPPED) and a pipeline that exists: moto's GetPipeline answer carries its `created` and
 * `updated` times in a form the SDK cannot read ("Expected real number"), so the probe would
 * rightly say SKIPPED where AWS would pass.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { BatchDeleteImageCommand, CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcrImages } from '../../functions/adapters/ecr-images.js';
import { AwsTargetProbe, CloudWatchAlarmProbe } from '../../functions/adapters/readiness-probes.js';
import { evaluateReadiness, type ReadinessPorts } from '../../functions/core/readiness.js';
import { parseRedeployTargets } from '../../functions/core/redeploy/targets.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { freshTable } from '../support/dynamodb.js';
import { pushImage } from '../support/ecr-push.js';

const REGION = 'us-east-1';
/** moto's default account. */
const ACCOUNT = '123456789012';
const run = randomUUID().slice(0, 8);
const repository = `shop/web-${run}`;
const cluster = `ready-${run}`;
const service = `web-${run}`;
const alarm = `prod-5xx-${run}`;
const pipeline = `deploy-${run}`;

const ecs = new ECSClient({ region: REGION });
const ecr = new ECRClient({ region: REGION });
const cloudwatch = new CloudWatchClient({ region: REGION });

type Table = Awaited<ReturnType<typeof freshTable>>;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

const push = (imageTag: string, seed: string) => pushImage(ecr, repository, imageTag, seed);

async function putAlarm(name: string) {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
}

/** Where an environment's redeploys go, as REDEPLOY_TARGETS would say it. */
function targets(extra: Record<string, unknown> = {}) {
  return parseRedeployTargets(
    {
      prod: {
        via: 'ecs',
        accountId: ACCOUNT,
        region: REGION,
        cluster,
        service,
        containerName: 'web',
        imageRepositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repository}`,
        ecrRepository: repository,
        verify: { alarms: [alarm] },
        ...extra,
      },
      staging: {
        via: 'codepipeline',
        accountId: ACCOUNT,
        region: REGION,
        pipeline,
        verify: { alarms: [alarm] },
      },
    },
    'REDEPLOY_TARGETS',
  );
}

/** The route's ports: the store, the targets, and the lookups over moto (CloudWatch's client replaceable). */
function ports(table: Table, options: { cloudwatch?: CloudWatchClient; extra?: Record<string, unknown> } = {}) {
  return {
    ...table.ports,
    targets: targets(options.extra),
    images: new EcrImages((region) => new ECRClient({ region: region ?? REGION })),
    targetProbe: new AwsTargetProbe(),
    alarmProbe: new CloudWatchAlarmProbe(options.cloudwatch ?? cloudwatch, { sleep: async () => {} }),
  } satisfies ReadinessPorts;
}

const statuses = (readiness: Awaited<ReturnType<typeof evaluateReadiness>>) =>
  Object.fromEntries(readiness.checks.map((c) => [c.name, c.status]));
const detailOf = (readiness: Awaited<ReturnType<typeof evaluateReadiness>>, name: string) =>
  readiness.checks.find((c) => c.name === name)?.detail;

describe('rollback readiness against moto_server', () => {
  let table: Table;
  let good: string;

  beforeAll(async () => {
    table = await freshTable();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }));
    good = await push('v1.0.0', 'good');
    await push('v2.0.0', 'bad');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const definition = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `web-${run}`,
        containerDefinitions: [
          { name: 'web', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repository}:v2.0.0`, memory: 512 },
        ],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: definition.taskDefinition?.taskDefinitionArn,
        desiredCount: 1,
      }),
    );
    await putAlarm(alarm);
    const by = { by: 'arn:aws:iam::123456789012:role/ci' };
    for (const [environment, imageTag, imageDigest, age] of [
      ['prod', 'v1.0.0', good, 30],
      ['prod', 'v2.0.0', undefined, 20],
      ['staging', 'v1.0.0', good, 30],
      ['staging', 'v2.0.0', undefined, 20],
    ] as const) {
      const input = RecordDeploymentInput.parse({
        environment,
        imageTag,
        ...(imageDigest ? { imageDigest } : {}),
        deployedAt: minutesAgo(age),
      });
      await recordDeployment(table.ports, input, by);
    }
  });

  it('passes every check when the service, its container, the image and the alarms are there', async () => {
    const readiness = await evaluateReadiness(ports(table), 'prod');
    expect(readiness).toMatchObject({
      environment: 'prod',
      ready: true,
      current: { imageTag: 'v2.0.0' },
      target: { imageTag: 'v1.0.0', imageDigest: good },
    });
    expect(statuses(readiness)).toEqual({
      target: 'PASSED',
      image: 'PASSED',
      migrations: 'PASSED',
      'redeploy-target': 'PASSED',
      verify: 'PASSED',
    });
    expect(detailOf(readiness, 'redeploy-target')).toContain(`ECS service ${service} in cluster ${cluster} is ACTIVE`);
    expect(detailOf(readiness, 'verify')).toBe(`1 verify alarm(s) exist: ${alarm}`);
  });

  it('fails redeploy-target when the service runs no container of that name', async () => {
    const readiness = await evaluateReadiness(ports(table, { extra: { containerName: 'api' } }), 'prod');
    expect(readiness.ready).toBe(false);
    expect(statuses(readiness)['redeploy-target']).toBe('FAILED');
    expect(detailOf(readiness, 'redeploy-target')).toContain('has no container "api" (it has: web)');
  });

  it('fails verify when a bake alarm is gone, naming it', async () => {
    const gone = `prod-latency-${run}`;
    const readiness = await evaluateReadiness(ports(table, { extra: { verify: { alarms: [alarm, gone] } } }), 'prod');
    expect(readiness.ready).toBe(false);
    expect(statuses(readiness).verify).toBe('FAILED');
    expect(detailOf(readiness, 'verify')).toBe(`verify alarm(s) not found in CloudWatch: ${gone}`);
    expect(statuses(readiness)['redeploy-target']).toBe('PASSED');
  });

  it('skips verify, never fails it, when CloudWatch cannot be asked; readiness stays true', async () => {
    // Nothing listens on port 9 of loopback: the call fails as an outage would.
    const down = new CloudWatchClient({ region: REGION, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const readiness = await evaluateReadiness(ports(table, { cloudwatch: down }), 'prod');
    expect(statuses(readiness).verify).toBe('SKIPPED');
    expect(detailOf(readiness, 'verify')).toMatch(/^could not check: /);
    expect(readiness.ready).toBe(true);
  });

  it('fails a pipeline that does not exist (CodePipeline GetPipeline)', async () => {
    const readiness = await evaluateReadiness(ports(table), 'staging');
    expect(readiness.ready).toBe(false);
    expect(statuses(readiness)['redeploy-target']).toBe('FAILED');
    expect(detailOf(readiness, 'redeploy-target')).toBe(`pipeline ${pipeline} does not exist in ${ACCOUNT} ${REGION}`);
  });

  // Last: these take away what the checks above need.
  it('fails image and redeploy-target once the target image is expired from ECR', async () => {
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds: [{ imageDigest: good }] }));
    const readiness = await evaluateReadiness(ports(table), 'prod');
    expect(readiness.ready).toBe(false);
    expect(statuses(readiness)).toMatchObject({ target: 'PASSED', image: 'FAILED', 'redeploy-target': 'FAILED' });
    expect(detailOf(readiness, 'redeploy-target')).toContain(`is no longer in ${repository}`);
  });

  it('fails redeploy-target once the ECS service is deleted, and the alarm once it is deleted', async () => {
    await ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarm] }));
    const readiness = await evaluateReadiness(ports(table), 'prod');
    expect(statuses(readiness)).toMatchObject({ 'redeploy-target': 'FAILED', verify: 'FAILED' });
    expect(detailOf(readiness, 'redeploy-target')).toContain(`ECS service ${service} in cluster ${cluster}`);
    expect(detailOf(readiness, 'verify')).toBe(`verify alarm(s) not found in CloudWatch: ${alarm}`);
  });
});
