/**
 * The `ecs` redeploy target: puts the target's image back on an ECS service (rolling update,
 * the ECS deployment controller), optionally through a role in the service's account.
 *
 * start:
 *   1. DescribeServices. A deployment created at or after the run began whose task definition
 *      runs the target image is the one this run already made (a replay after a crash
 *      between UpdateService and the checkpoint): return it, call nothing else.
 *   2. Find the target's task definition: ECS keeps every revision, so the revisions of the
 *      service's family before the current one are its record. The newest one running the
 *      target image is reused while it is ACTIVE (its environment, sizes and roles are the
 *      ones that ran with that image). A revision this run registered before crashing
 *      (tagged with the run id) is reused too.
 *   3. Otherwise register a revision of the current task definition with only the named
 *      container's image replaced (by digest where the target recorded one), tagged with the
 *      run id.
 *   4. Where `imageRepositoryArn` is configured and a digest was recorded, ECR must still
 *      hold that digest under the target's tag; if the tag moved or the image is gone, the
 *      redeploy is refused with what the registry says.
 *   5. UpdateService to that task definition; the handle is the new PRIMARY deployment.
 *
 * The fast path (between 1 and 2): when the deployment being rolled back is still rolling out
 * (ListServiceDeployments shows the service's deployment PENDING or IN_PROGRESS, and
 * DescribeServices shows its PRIMARY deployment IN_PROGRESS on the current record's image),
 * and the deployment it is replacing still runs the target's image (status ACTIVE: its tasks
 * still run), the in-progress deployment is stopped with StopServiceDeployment and
 * `stopType: ROLLBACK`: ECS goes back to the service revision it was replacing, without a
 * new task definition or a new rollout from zero. ECS has at most one service deployment in
 * progress per service, so the listed one is the PRIMARY one. A replay that finds it already
 * rolling back (ROLLBACK_REQUESTED or ROLLBACK_IN_PROGRESS) follows it without a second
 * stop. The registry check (4) runs before the stop too: going back may start new tasks of
 * that revision. Where the deployment finished between the look and the stop (ECS answers
 * ConflictException or ServiceDeploymentNotFoundException), the normal path runs instead,
 * from a fresh DescribeServices. The handle's `detail` says which path was taken.
 * check: DescribeServices, and the handle's deployment's `rolloutState`: COMPLETED succeeds,
 *   FAILED (the deployment circuit breaker) fails, and a deployment that stops being PRIMARY
 *   (or vanishes) before COMPLETED was replaced, which fails too. The `servicesStable`
 *   waiter is not used: it reports a service stable after the circuit breaker rolled it
 *   back, i.e. after the redeploy failed. After a stop (state `path: 'stop'`): the service's
 *   PRIMARY deployment back on the target's task definition and COMPLETED succeeds; FAILED
 *   fails; the stopped deployment still PRIMARY and COMPLETED (the stop did not take) fails.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  ClusterNotFoundException,
  type ContainerDefinition,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Deployment as EcsDeployment,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  type ServiceDeploymentBrief,
  StopServiceDeploymentCommand,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Deployment } from '../../core/deployment.js';
import type { EcsTarget } from '../../core/redeploy/aws.js';
import {
  type Redeployer,
  type RedeployHandle,
  type RedeployProgress,
  RedeployRefusedError,
  type RedeployRequest,
} from '../../core/redeploy/port.js';
import { ulidTime } from '../ulid.js';
import { targetCredentials } from './assume-role.js';
import { type BackoffOptions, isAwsThrottle, SDK_CLIENT_DEFAULTS, withBackoff } from './retry.js';

/** The tag on a revision this service registered: which run registered it. */
export const RUN_ID_TAG = 'platform-rollback:run-id';
/** How many earlier revisions of the family are searched for the target's task definition. */
export const REVISIONS_SEARCHED = 10;
/** The service deployment states the fast path acts on: still rolling out. */
export const STOPPABLE = ['PENDING', 'IN_PROGRESS'] as const;
/** The states of a deployment already being rolled back (a replay of the stop, or the circuit breaker). */
export const ROLLING_BACK = ['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'] as const;
/** What StopServiceDeployment answers for a deployment that is no longer in progress. */
const NO_LONGER_STOPPABLE = new Set(['ConflictException', 'ServiceDeploymentNotFoundException']);
/**
 * Answers that mean the fast path is not available here (a region without the API, a
 * workload role created before these rights were added): the normal path still works.
 */
const UNAVAILABLE = new Set(['AccessDeniedException', 'UnsupportedFeatureException']);

/** Why the fast path was not taken, and whether the service must be read again (the stop raced). */
type NoFastPath = { why: string; fresh: boolean };

export interface EcsRedeployerOptions {
  /** Backoff for throttled calls (tests pass a `sleep` that does not wait). */
  backoff?: BackoffOptions;
  /** Overrides the credentials (default: the function's own, or `roleArn`'s when named). */
  credentials?: AwsCredentialIdentityProvider;
}

export class EcsRedeployer implements Redeployer {
  readonly via = 'ecs' as const;
  private readonly ecs: ECSClient;
  private readonly ecr: ECRClient;

  constructor(
    private readonly target: EcsTarget,
    private readonly options: EcsRedeployerOptions = {},
  ) {
    const credentials = targetCredentials(target, { credentials: options.credentials, sleep: options.backoff?.sleep });
    const common = { region: target.region, ...SDK_CLIENT_DEFAULTS, ...(credentials ? { credentials } : {}) };
    this.ecs = new ECSClient(common);
    this.ecr = new ECRClient(common);
  }

  async start(request: RedeployRequest): Promise<RedeployHandle> {
    const service = await this.describeService();
    const ours = await this.deploymentOfRun(service, request);
    if (ours) return this.handle(ours);

    const fast = await this.stopInProgress(service, request);
    if ('handle' in fast) return fast.handle;
    const handle = await this.normalPath(fast.fresh ? await this.describeService() : service, request);
    return { ...handle, detail: `${fast.why}; ${handle.detail}` };
  }

  private async normalPath(service: Service, request: RedeployRequest): Promise<RedeployHandle> {
    const current = await this.describeTaskDefinition(requireString(service.taskDefinition, 'service.taskDefinition'));
    const container = this.containerOf(current);
    await this.checkImageInRegistry(request.target);
    const taskDefinitionArn =
      (await this.reusableRevision(current, request)) ?? (await this.register(current, container, request));

    const updated = await this.send(() =>
      this.ecs.send(
        new UpdateServiceCommand({
          cluster: this.target.cluster,
          service: this.target.service,
          taskDefinition: taskDefinitionArn,
        }),
      ),
    );
    const primary = updated.service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.id) throw new Error(`UpdateService ${this.target.service} answered without a PRIMARY deployment`);
    // The revision asked for, whatever the answer's deployment list already shows.
    return { ...this.handle(primary), detail: `new deployment: UpdateService to ${taskDefinitionArn}` };
  }

  /** The fast path: the stopped (or already rolling back) deployment's handle, or why not. */
  private async stopInProgress(
    service: Service,
    request: RedeployRequest,
  ): Promise<{ handle: RedeployHandle } | NoFastPath> {
    // Nothing to go back to unless the service shows a rollout beside the revision it replaces:
    // then no call is spent on the look (and an ECS without the API is never asked).
    const shown = service.deployments ?? [];
    if (shown.length < 2 || !shown.some((d) => d.rolloutState === 'IN_PROGRESS'))
      return { why: 'no deployment in progress', fresh: false };
    let listed: ServiceDeploymentBrief[];
    try {
      const answer = await this.send(() =>
        this.ecs.send(
          new ListServiceDeploymentsCommand({
            cluster: this.target.cluster,
            service: this.target.service,
            status: [...STOPPABLE, ...ROLLING_BACK],
          }),
        ),
      );
      listed = answer?.serviceDeployments ?? [];
    } catch (error) {
      if (error instanceof Error && UNAVAILABLE.has(error.name))
        return { why: `no fast path (ListServiceDeployments: ${error.name})`, fresh: false };
      throw error;
    }
    const inProgress = listed.find((d) => d.serviceDeploymentArn);
    if (!inProgress?.serviceDeploymentArn) return { why: 'no deployment in progress', fresh: false };
    const deployments = service.deployments ?? [];
    const arn = inProgress.serviceDeploymentArn;
    if ((ROLLING_BACK as readonly string[]).includes(inProgress.status ?? '')) {
      // A replay after the stop (or the circuit breaker at work): follow it back to the target.
      const back = await this.deploymentRunning(deployments, request.target, ['PRIMARY', 'ACTIVE']);
      const bad = await this.deploymentRunning(deployments, request.current, ['PRIMARY', 'ACTIVE']);
      if (back) return { handle: this.stoppedHandle(inProgress, bad, back) };
      return { why: `the deployment rolling back is not going back to ${request.target.imageTag}`, fresh: false };
    }
    const bad = deployments.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS');
    if (!bad?.taskDefinition || !(await this.runs(bad.taskDefinition, request.current)))
      return { why: `the deployment in progress is not ${request.current.imageTag}'s`, fresh: false };
    // ROLLBACK returns to the revision being replaced: only where that runs the target.
    const previous = await this.deploymentRunning(deployments, request.target, ['ACTIVE']);
    if (!previous)
      return { why: `the deployment in progress is not replacing ${request.target.imageTag}`, fresh: false };
    // Going back may start new tasks of that revision: the same registry check as the normal path's.
    await this.checkImageInRegistry(request.target);
    try {
      await this.send(() =>
        this.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
      );
    } catch (error) {
      if (error instanceof Error && NO_LONGER_STOPPABLE.has(error.name))
        return { why: `the deployment in progress finished before it could be stopped (${error.name})`, fresh: true };
      if (error instanceof Error && UNAVAILABLE.has(error.name))
        return { why: `no fast path (StopServiceDeployment: ${error.name})`, fresh: false };
      throw error;
    }
    return { handle: this.stoppedHandle(inProgress, bad, previous) };
  }

  private stoppedHandle(
    stopped: ServiceDeploymentBrief,
    bad: EcsDeployment | undefined,
    previous: EcsDeployment,
  ): RedeployHandle {
    return {
      via: 'ecs',
      externalId: requireString(stopped.serviceDeploymentArn, 'serviceDeploymentArn'),
      url: this.consoleUrl(),
      state: {
        path: 'stop',
        taskDefinition: previous.taskDefinition ?? null,
        stoppedTaskDefinition: bad?.taskDefinition ?? null,
      },
      detail: `fast path: stopped the in-progress ECS deployment ${stopped.serviceDeploymentArn} with ROLLBACK`,
    };
  }

  /** The first of the service's deployments in one of `statuses` whose task definition runs the record's image. */
  private async deploymentRunning(
    deployments: EcsDeployment[],
    record: Deployment,
    statuses: string[],
  ): Promise<EcsDeployment | undefined> {
    for (const d of deployments) {
      if (d.status && statuses.includes(d.status) && d.taskDefinition && (await this.runs(d.taskDefinition, record)))
        return d;
    }
    return undefined;
  }

  /** Whether the task definition's named container runs the record's image. */
  private async runs(taskDefinitionArn: string, record: Deployment): Promise<boolean> {
    const taskDefinition = await this.describeTaskDefinition(taskDefinitionArn);
    const image = taskDefinition.containerDefinitions?.find((c) => c.name === this.target.containerName)?.image;
    return image !== undefined && runsImage(image, record);
  }

  async check(_request: RedeployRequest, handle: RedeployHandle): Promise<RedeployProgress> {
    const service = await this.describeService();
    if (handle.state?.path === 'stop') return this.checkStopped(service, handle);
    const deployments = service.deployments ?? [];
    const mine = deployments.find((d) => d.id === handle.externalId);
    const primary = deployments.find((d) => d.status === 'PRIMARY');
    if (!mine) {
      return {
        status: 'FAILED',
        detail: `ECS deployment ${handle.externalId} is no longer on the service: it was replaced by ${primary?.id ?? 'another deployment'} before it completed`,
      };
    }
    if (mine.rolloutState === 'FAILED') {
      return {
        status: 'FAILED',
        detail: `ECS deployment ${mine.id} failed: ${mine.rolloutStateReason ?? 'rollout FAILED'}`,
      };
    }
    if (mine.rolloutState === 'COMPLETED') {
      return { status: 'SUCCEEDED', detail: `ECS deployment ${mine.id} completed: ${counts(mine)}` };
    }
    if (mine.status !== 'PRIMARY') {
      return {
        status: 'FAILED',
        detail: `ECS deployment ${mine.id} was replaced by ${primary?.id ?? 'another deployment'} (${primary?.taskDefinition ?? 'unknown task definition'}) before it completed`,
      };
    }
    return { status: 'RUNNING', detail: `ECS deployment ${mine.id} in progress: ${counts(mine)}` };
  }

  /** After a stop with ROLLBACK: is the service back on the target's task definition? */
  private checkStopped(service: Service, handle: RedeployHandle): RedeployProgress {
    const back = handle.state?.taskDefinition;
    const primary = (service.deployments ?? []).find((d) => d.status === 'PRIMARY');
    if (!primary) return { status: 'RUNNING', detail: 'no PRIMARY deployment yet' };
    if (primary.taskDefinition === back) {
      if (primary.rolloutState === 'COMPLETED')
        return { status: 'SUCCEEDED', detail: `the service is back on ${back}: ${counts(primary)}` };
      if (primary.rolloutState === 'FAILED')
        return {
          status: 'FAILED',
          detail: `going back to ${back} failed: ${primary.rolloutStateReason ?? 'rollout FAILED'}`,
        };
      return { status: 'RUNNING', detail: `going back to ${back}: ${counts(primary)}` };
    }
    if (primary.taskDefinition === handle.state?.stoppedTaskDefinition && primary.rolloutState === 'IN_PROGRESS') {
      return { status: 'RUNNING', detail: `ECS has not begun going back to ${back} yet` };
    }
    return {
      status: 'FAILED',
      detail: `the service's PRIMARY deployment is ${primary.id} (${primary.taskDefinition}, ${primary.rolloutState}), not ${back}`,
    };
  }

  /** The console page of the service's deployments. */
  consoleUrl(): string {
    const { region, cluster, service } = this.target;
    return `https://${region}.console.aws.amazon.com/ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(service)}/deployments?region=${region}`;
  }

  private handle(deployment: EcsDeployment): RedeployHandle {
    return {
      via: 'ecs',
      externalId: requireString(deployment.id, 'deployment.id'),
      url: this.consoleUrl(),
      state: { taskDefinition: deployment.taskDefinition ?? null },
      detail: `new deployment: UpdateService to ${deployment.taskDefinition}`,
    };
  }

  private async describeService(): Promise<Service> {
    const where = `ECS service ${this.target.service} in cluster ${this.target.cluster}`;
    let answer: DescribeServicesCommandOutput;
    try {
      answer = await this.send(() =>
        this.ecs.send(new DescribeServicesCommand({ cluster: this.target.cluster, services: [this.target.service] })),
      );
    } catch (error) {
      // A wrong cluster name (or account, or region) is the configuration's fault, not a
      // passing one: refused with what ECS said, like a missing service, instead of retried.
      if (error instanceof ClusterNotFoundException) {
        throw new RedeployRefusedError(`${where}: the cluster does not exist (ClusterNotFoundException)`);
      }
      throw error;
    }
    const service = answer.services?.[0];
    if (!service) {
      const reason = answer.failures?.[0]?.reason ?? 'not found';
      throw new RedeployRefusedError(`${where}: ${reason}`);
    }
    if (service.status !== 'ACTIVE') {
      throw new RedeployRefusedError(`ECS service ${this.target.service} is ${service.status}, not ACTIVE`);
    }
    return service;
  }

  private async describeTaskDefinition(arn: string): Promise<TaskDefinition & { tags: Tag[] }> {
    const answer = await this.send(() =>
      this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] })),
    );
    if (!answer.taskDefinition) throw new Error(`DescribeTaskDefinition ${arn} answered without a task definition`);
    return { ...answer.taskDefinition, tags: answer.tags ?? [] };
  }

  /**
   * The deployment this run already made: created at or after the run began (the run id is
   * a ULID, so it carries its start), running the target image in the named container.
   */
  private async deploymentOfRun(service: Service, request: RedeployRequest): Promise<EcsDeployment | undefined> {
    const since = runStartedAt(request.runId);
    const recent = (service.deployments ?? [])
      .filter((d) => d.taskDefinition && d.createdAt && d.createdAt.getTime() >= since)
      .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
    for (const deployment of recent) {
      const taskDefinition = await this.describeTaskDefinition(deployment.taskDefinition as string);
      const tagged = taskDefinition.tags.some((t) => t.key === RUN_ID_TAG && t.value === request.runId);
      const image = taskDefinition.containerDefinitions?.find((c) => c.name === this.target.containerName)?.image;
      if (tagged || (image !== undefined && runsImage(image, request.target))) return deployment;
    }
    return undefined;
  }

  private containerOf(taskDefinition: TaskDefinition): ContainerDefinition {
    const container = taskDefinition.containerDefinitions?.find((c) => c.name === this.target.containerName);
    if (!container?.image) {
      const names = (taskDefinition.containerDefinitions ?? []).map((c) => c.name).join(', ');
      throw new RedeployRefusedError(
        `task definition ${taskDefinition.taskDefinitionArn} has no container "${this.target.containerName}" (it has: ${names})`,
      );
    }
    return container;
  }

  /**
   * The newest earlier revision of the family that runs the target image, if it is still
   * ACTIVE; or the revision this run registered before a crash. Undefined: register one.
   */
  private async reusableRevision(current: TaskDefinition & { tags: Tag[] }, request: RedeployRequest) {
    const family = requireString(current.family, 'taskDefinition.family');
    const latest = await this.describeTaskDefinition(family);
    if (latest.tags.some((t) => t.key === RUN_ID_TAG && t.value === request.runId)) return latest.taskDefinitionArn;
    const revision = current.revision ?? 0;
    for (let r = revision - 1; r >= Math.max(1, revision - REVISIONS_SEARCHED); r--) {
      let candidate: TaskDefinition;
      try {
        candidate = await this.describeTaskDefinition(`${family}:${r}`);
      } catch (error) {
        // A deleted revision answers ClientException; the search goes on past it.
        if (error instanceof Error && error.name === 'ClientException') continue;
        throw error;
      }
      const image = candidate.containerDefinitions?.find((c) => c.name === this.target.containerName)?.image;
      if (image === undefined || !runsImage(image, request.target)) continue;
      // INACTIVE: deregistered. Services may still run it, but ECS refuses new deployments of it.
      return candidate.status === 'ACTIVE' ? candidate.taskDefinitionArn : undefined;
    }
    return undefined;
  }

  /** Registers the current task definition again with only the named container's image replaced. */
  private async register(
    current: TaskDefinition & { tags: Tag[] },
    container: ContainerDefinition,
    request: RedeployRequest,
  ): Promise<string> {
    const image = imageFor(container.image as string, request.target);
    const answer = await this.send(() =>
      this.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: current.family,
          taskRoleArn: current.taskRoleArn,
          executionRoleArn: current.executionRoleArn,
          networkMode: current.networkMode,
          containerDefinitions: (current.containerDefinitions ?? []).map((c) =>
            c.name === this.target.containerName ? { ...c, image } : c,
          ),
          volumes: current.volumes,
          placementConstraints: current.placementConstraints,
          requiresCompatibilities: current.requiresCompatibilities,
          cpu: current.cpu,
          memory: current.memory,
          pidMode: current.pidMode,
          ipcMode: current.ipcMode,
          proxyConfiguration: current.proxyConfiguration,
          inferenceAccelerators: current.inferenceAccelerators,
          ephemeralStorage: current.ephemeralStorage,
          runtimePlatform: current.runtimePlatform,
          enableFaultInjection: current.enableFaultInjection,
          // aws: tags are AWS's own and cannot be set.
          tags: [
            ...current.tags.filter((t) => !t.key?.startsWith('aws:') && t.key !== RUN_ID_TAG),
            { key: RUN_ID_TAG, value: request.runId },
          ],
        }),
      ),
    );
    return requireString(answer.taskDefinition?.taskDefinitionArn, 'taskDefinition.taskDefinitionArn');
  }

  /** Step 4: the recorded digest must still be the registry's image under the target's tag. */
  private async checkImageInRegistry(target: Deployment): Promise<void> {
    const arn = this.target.imageRepositoryArn;
    if (!arn || !target.imageDigest) return;
    const [, , , , registryId, resource] = arn.split(':');
    const repositoryName = (resource ?? '').replace(/^repository\//, '');
    let tags: string[];
    try {
      const answer = await this.send(() =>
        this.ecr.send(
          new DescribeImagesCommand({
            registryId,
            repositoryName,
            imageIds: [{ imageDigest: target.imageDigest as string }],
          }),
        ),
      );
      tags = answer.imageDetails?.[0]?.imageTags ?? [];
    } catch (error) {
      if (error instanceof Error && error.name === 'ImageNotFoundException') {
        throw new RedeployRefusedError(
          `image ${target.imageDigest} (recorded for ${target.imageTag}) is no longer in ${repositoryName}`,
        );
      }
      throw error;
    }
    if (!tags.includes(target.imageTag)) {
      throw new RedeployRefusedError(
        `the registry's tag ${target.imageTag} in ${repositoryName} no longer points to the recorded digest ${target.imageDigest} (that image now has tags: ${tags.join(', ') || 'none'}); refusing to redeploy an image other than the one recorded`,
      );
    }
  }

  private send<T>(call: () => Promise<T>): Promise<T> {
    return withBackoff(call, isAwsThrottle, this.options.backoff);
  }
}

/** When the run began, from its ULID; 0 (any time) for an id that is not one. */
export function runStartedAt(runId: string): number {
  try {
    return ulidTime(runId);
  } catch {
    return 0;
  }
}

/** The repository part of an image reference (`registry/repo:tag@digest` → `registry/repo`). */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0] as string;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The reference that runs the target's image: by digest where recorded, else by tag. */
export function imageFor(currentImage: string, target: Pick<Deployment, 'imageTag' | 'imageDigest'>): string {
  const repository = repositoryOf(currentImage);
  return target.imageDigest ? `${repository}@${target.imageDigest}` : `${repository}:${target.imageTag}`;
}

/** Whether `image` is the target's: the recorded digest, or the tag where no digest pins it. */
export function runsImage(image: string, target: Pick<Deployment, 'imageTag' | 'imageDigest'>): boolean {
  const [name, digest] = image.split('@') as [string, string | undefined];
  if (digest !== undefined) return target.imageDigest === digest;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : 'latest';
  return tag === target.imageTag;
}

function counts(d: EcsDeployment): string {
  return `${d.runningCount ?? 0} running, ${d.pendingCount ?? 0} pending, ${d.failedTasks ?? 0} failed of ${d.desiredCount ?? 0} desired`;
}

function requireString(value: string | undefined, what: string): string {
  if (!value) throw new Error(`ECS answered without ${what}`);
  return value;
}
