/**
 * The lookups of the readiness checks (core/readiness.ts), read-only calls on exactly the
 * resources the configured redeploy targets name:
 *
 * - ECS: DescribeServices (the service exists and is ACTIVE), DescribeTaskDefinition of the
 *   task definition it runs (it has the named container, whose image a run replaces), and,
 *   where the target names `imageRepositoryArn`, ECR DescribeImages of the target's image in
 *   it (by its recorded digest, else its tag): the image a run would put back is still there.
 * - CodePipeline: GetPipeline (the pipeline exists).
 * - CloudWatch: DescribeAlarms of the verify alarms (which of them exist).
 *
 * "Not there" is an answer (the check FAILS); anything else that goes wrong (throttling,
 * a 5xx, a timeout, access denied) means the check could not be made (SKIPPED, with why).
 * Each target's clients sign with the target's `roleArn` where it names one, as its
 * redeployer does (assume-role.ts).
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Deployment } from '../core/deployment.js';
import type { AlarmProbe, ProbeResult, TargetProbe } from '../core/readiness.js';
import type { CodePipelineTarget, EcsTarget } from '../core/redeploy/aws.js';
import type { RedeployTarget } from '../core/redeploy/targets.js';
import { targetCredentials } from './redeploy/assume-role.js';
import { type BackoffOptions, isAwsThrottle, SDK_CLIENT_DEFAULTS, withBackoff } from './redeploy/retry.js';

/** Error names that mean "the resource is not there", per service. */
const NOT_FOUND = new Set([
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'PipelineNotFoundException',
  'RepositoryNotFoundException',
  'ImageNotFoundException',
]);

const why = (error: unknown) => {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
};

export interface ProbeOptions {
  backoff?: BackoffOptions;
  /** Overrides the credentials (tests); default the function's own, or the target's `roleArn`'s. */
  credentials?: AwsCredentialIdentityProvider;
}

/** The ECS target's service, its container, and the target's image. */
export async function probeEcs(
  clients: { ecs: ECSClient; ecr: ECRClient },
  target: EcsTarget,
  record: Deployment,
  backoff: BackoffOptions = {},
): Promise<ProbeResult> {
  const send = <T>(fn: () => Promise<T>) => withBackoff(fn, isAwsThrottle, backoff);
  const where = `ECS service ${target.service} in cluster ${target.cluster}`;
  try {
    const answer = await send(() =>
      clients.ecs.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] })),
    );
    const service = answer.services?.[0];
    if (!service) return { kind: 'missing', detail: `${where}: ${answer.failures?.[0]?.reason ?? 'not found'}` };
    if (service.status !== 'ACTIVE') return { kind: 'missing', detail: `${where} is ${service.status}, not ACTIVE` };
    if (!service.taskDefinition) return { kind: 'missing', detail: `${where} runs no task definition` };
    const definition = await send(() =>
      clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition })),
    );
    const containers = definition.taskDefinition?.containerDefinitions ?? [];
    if (!containers.some((c) => c.name === target.containerName)) {
      return {
        kind: 'missing',
        detail: `${where} runs ${service.taskDefinition}, which has no container "${target.containerName}" (it has: ${containers.map((c) => c.name).join(', ') || 'none'})`,
      };
    }
    const image = await probeImage(clients.ecr, target, record, backoff);
    if (image.kind !== 'ok') return image;
    return { kind: 'ok', detail: `${where} is ACTIVE with container ${target.containerName}; ${image.detail}` };
  } catch (error) {
    if (error instanceof Error && NOT_FOUND.has(error.name))
      return { kind: 'missing', detail: `${where}: ${why(error)}` };
    return { kind: 'error', detail: why(error) };
  }
}

/** The target's image in the ECS target's repository, by its recorded digest (else its tag). */
async function probeImage(
  ecr: ECRClient,
  target: EcsTarget,
  record: Deployment,
  backoff: BackoffOptions,
): Promise<ProbeResult> {
  const arn = target.imageRepositoryArn;
  if (!arn) return { kind: 'ok', detail: 'no imageRepositoryArn configured to look its image up in' };
  const [, , , , registryId, resource] = arn.split(':');
  const repositoryName = (resource ?? '').replace(/^repository\//, '');
  const imageId = record.imageDigest ? { imageDigest: record.imageDigest } : { imageTag: record.imageTag };
  const what = `${record.imageTag}${record.imageDigest ? ` (${record.imageDigest})` : ''}`;
  try {
    const answer = await withBackoff(
      () => ecr.send(new DescribeImagesCommand({ registryId, repositoryName, imageIds: [imageId] })),
      isAwsThrottle,
      backoff,
    );
    const detail = answer.imageDetails?.[0];
    if (!detail) return { kind: 'missing', detail: `${what} is no longer in ${repositoryName}` };
    if (record.imageDigest && !(detail.imageTags ?? []).includes(record.imageTag)) {
      return {
        kind: 'missing',
        detail: `the tag ${record.imageTag} in ${repositoryName} no longer points to the recorded digest ${record.imageDigest}`,
      };
    }
    return { kind: 'ok', detail: `${what} is in ${repositoryName}` };
  } catch (error) {
    if (error instanceof Error && NOT_FOUND.has(error.name)) {
      return { kind: 'missing', detail: `${what} is no longer in ${repositoryName} (${error.name})` };
    }
    return { kind: 'error', detail: why(error) };
  }
}

/** The CodePipeline target's pipeline. */
export async function probePipeline(
  client: CodePipelineClient,
  target: CodePipelineTarget,
  backoff: BackoffOptions = {},
): Promise<ProbeResult> {
  try {
    await withBackoff(() => client.send(new GetPipelineCommand({ name: target.pipeline })), isAwsThrottle, backoff);
    return { kind: 'ok', detail: `pipeline ${target.pipeline} exists` };
  } catch (error) {
    if (error instanceof Error && NOT_FOUND.has(error.name)) {
      return {
        kind: 'missing',
        detail: `pipeline ${target.pipeline} does not exist in ${target.accountId} ${target.region}`,
      };
    }
    return { kind: 'error', detail: why(error) };
  }
}

/** The TargetProbe port over ECS and CodePipeline: clients built once per environment. */
export class AwsTargetProbe implements TargetProbe {
  private readonly ecs = new Map<string, { ecs: ECSClient; ecr: ECRClient }>();
  private readonly pipelines = new Map<string, CodePipelineClient>();

  constructor(private readonly options: ProbeOptions = {}) {}

  probe(environment: string, target: RedeployTarget, record: Deployment): Promise<ProbeResult> {
    const common = (t: { region: string; roleArn?: string | undefined }) => {
      const credentials = targetCredentials(t, {
        credentials: this.options.credentials,
        sleep: this.options.backoff?.sleep,
      });
      return { region: t.region, ...SDK_CLIENT_DEFAULTS, ...(credentials ? { credentials } : {}) };
    };
    if (target.via === 'ecs') {
      let clients = this.ecs.get(environment);
      if (!clients) {
        clients = { ecs: new ECSClient(common(target)), ecr: new ECRClient(common(target)) };
        this.ecs.set(environment, clients);
      }
      return probeEcs(clients, target, record, this.options.backoff);
    }
    if (target.via === 'codepipeline') {
      let client = this.pipelines.get(environment);
      if (!client) {
        client = new CodePipelineClient(common(target));
        this.pipelines.set(environment, client);
      }
      return probePipeline(client, target, this.options.backoff);
    }
    return Promise.resolve({ kind: 'ok', detail: `${target.via} configured` });
  }
}

/** The AlarmProbe port over CloudWatch: DescribeAlarms of the names (at most 100, as the config allows). */
export class CloudWatchAlarmProbe implements AlarmProbe {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly backoff: BackoffOptions = {},
  ) {}

  async missing(names: readonly string[]) {
    try {
      const output = await withBackoff(
        () =>
          this.cloudwatch.send(
            new DescribeAlarmsCommand({ AlarmNames: [...names], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
          ),
        isAwsThrottle,
        this.backoff,
      );
      const found = new Set(
        [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])].map((a) => a.AlarmName),
      );
      return { kind: 'ok' as const, missing: names.filter((n) => !found.has(n)) };
    } catch (error) {
      return { kind: 'error' as const, detail: why(error) };
    }
  }
}
