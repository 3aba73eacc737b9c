/**
 * The configuration of the two AWS redeploy targets: an ECS service and a CodePipeline
 * pipeline (GitHub Actions is github-actions.ts). Each is one variant (`via`) of the
 * per-environment redeploy configuration (targets.ts). The same schemas are read by the
 * functions (to build the Redeployer) and by CDK at synth (to grant exactly what each target
 * calls, on exactly the resources named here), so both read one definition.
 *
 * Everything a grant needs is named in full (account, region, ARNs): a policy cannot be
 * written from a name AWS resolves only at run time.
 */
import { lazySchema } from '../lazy-schema.js';
import * as z from '../zod.js';

const AccountId = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
);
const Region = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region, e.g. eu-west-1')),
);
/** An IAM role ARN in any partition; paths allowed (`role/service-role/x`). */
export const RoleArn = /* @__PURE__ */ lazySchema(() =>
  z
    .string()
    .check(
      z.regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
        'must be an IAM role ARN, e.g. arn:aws:iam::111122223333:role/rollback',
      ),
    ),
);
/** ECS cluster and service names: letters, digits, hyphens and underscores, up to 255. */
const EcsName = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be 1-255 letters, digits, - or _')),
);

export const EcsTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    via: z.literal('ecs'),
    accountId: AccountId,
    region: Region,
    cluster: EcsName,
    service: EcsName,
    /** The container whose image is put back; the task definition's other containers stay as they are. */
    containerName: EcsName,
    /** A role in the workload account to assume for every ECS call (the usual case: the service lives elsewhere). */
    roleArn: z.optional(RoleArn),
    /**
     * The task and execution roles of the service's task definition. Registering a revision
     * passes them to ECS (iam:PassRole); only needed when no `roleArn` is assumed, since the
     * workload account's role then holds that right.
     */
    passRoleArns: z._default(z.array(RoleArn).check(z.maxLength(10)), []),
    /**
     * The ECR repository of the container's image. When given, a recorded digest is checked
     * against the repository's tag before redeploying (ecr:DescribeImages on this repository).
     */
    imageRepositoryArn: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/[a-z0-9._/-]{2,256}$/,
            'must be an ECR repository ARN',
          ),
        ),
    ),
  }),
);
export type EcsTarget = z.infer<typeof EcsTarget>;

export const CodePipelineTarget = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    via: z.literal('codepipeline'),
    accountId: AccountId,
    region: Region,
    pipeline: z.string().check(z.regex(/^[A-Za-z0-9.@_-]{1,100}$/, 'must be a pipeline name: 1-100 of A-Za-z0-9.@_-')),
    /** A role in the pipeline's account to assume, when the pipeline lives in another account. */
    roleArn: z.optional(RoleArn),
  }),
);
export type CodePipelineTarget = z.infer<typeof CodePipelineTarget>;

/** The ARN of the ECS service a target names. */
export function ecsServiceArn(target: Pick<EcsTarget, 'accountId' | 'region' | 'cluster' | 'service'>): string {
  return `arn:${partitionOf(target.region)}:ecs:${target.region}:${target.accountId}:service/${target.cluster}/${target.service}`;
}

/** The ARNs of the service deployments (ECS's record of each rollout) of the service a target names. */
export function ecsServiceDeploymentsArn(
  target: Pick<EcsTarget, 'accountId' | 'region' | 'cluster' | 'service'>,
): string {
  return `arn:${partitionOf(target.region)}:ecs:${target.region}:${target.accountId}:service-deployment/${target.cluster}/${target.service}/*`;
}

/** The ARN of the pipeline a target names. */
export function pipelineArn(target: Pick<CodePipelineTarget, 'accountId' | 'region' | 'pipeline'>): string {
  return `arn:${partitionOf(target.region)}:codepipeline:${target.region}:${target.accountId}:${target.pipeline}`;
}

/** The partition of a region: China and GovCloud regions have their own. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
