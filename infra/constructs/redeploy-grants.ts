import { Validations } from 'aws-cdk-lib';
import { Effect, type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  type EcsTarget,
  ecsServiceArn,
  ecsServiceDeploymentsArn,
  partitionOf,
  pipelineArn,
} from '../../functions/core/redeploy/aws.js';
import type { ExternalRedeployTarget } from '../../functions/core/redeploy/targets.js';

/** A policy document, as IAM takes it (what the docs print, ready to paste). */
export interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: Array<Record<string, unknown>>;
}

/**
 * What one target calls, as IAM statements, for the principal that makes the calls: the
 * service's own role where the target names no `roleArn`, the workload account's role where
 * it does. Exactly the actions the adapter sends, on exactly the resources the target names:
 *
 * - ecs: DescribeServices, UpdateService and ListServiceDeployments on the service;
 *   StopServiceDeployment on that service's service deployments only (the fast path: stop
 *   the release being rolled back while it is still in progress); DescribeTaskDefinition and
 *   RegisterTaskDefinition, which IAM cannot scope to a resource (their Resource must be
 *   `*`); TagResource only while registering a task definition (the run-id tag); PassRole of
 *   the task definition's roles, to ECS tasks only; DescribeImages on the image's repository
 *   where one is configured.
 * - codepipeline: StartPipelineExecution and GetPipelineExecution on the pipeline.
 * - github-actions: GetSecretValue on the token's secret.
 */
export function targetStatements(target: ExternalRedeployTarget): PolicyStatement[] {
  switch (target.via) {
    case 'ecs':
      return ecsStatements(target);
    case 'codepipeline':
      return [
        new PolicyStatement({
          sid: 'FollowPipeline',
          actions: ['codepipeline:StartPipelineExecution', 'codepipeline:GetPipelineExecution'],
          resources: [pipelineArn(target)],
        }),
      ];
    case 'github-actions':
      return [
        new PolicyStatement({
          sid: 'ReadGitHubToken',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [target.tokenSecretArn],
        }),
      ];
  }
}

function ecsStatements(target: EcsTarget): PolicyStatement[] {
  const partition = partitionOf(target.region);
  const statements = [
    new PolicyStatement({
      sid: 'UpdateService',
      actions: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'],
      resources: [ecsServiceArn(target)],
    }),
    new PolicyStatement({
      sid: 'StopServiceDeployment',
      actions: ['ecs:StopServiceDeployment'],
      resources: [ecsServiceDeploymentsArn(target)],
    }),
    new PolicyStatement({
      sid: 'TaskDefinitions',
      actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
      resources: ['*'],
    }),
    new PolicyStatement({
      sid: 'TagRegisteredTaskDefinition',
      actions: ['ecs:TagResource'],
      resources: [`arn:${partition}:ecs:${target.region}:${target.accountId}:task-definition/*`],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    }),
  ];
  if (target.passRoleArns.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'PassTaskRoles',
        actions: ['iam:PassRole'],
        resources: [...target.passRoleArns],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
  if (target.imageRepositoryArn) {
    statements.push(
      new PolicyStatement({
        sid: 'CheckImageDigest',
        actions: ['ecr:DescribeImages'],
        resources: [target.imageRepositoryArn],
      }),
    );
  }
  return statements;
}

/**
 * The service role's rights for the configured redeploy targets, in a policy of their own:
 * what each target calls, and nothing for a target the role does not call itself. Where a
 * target names `roleArn`, the role may only assume that role (`sts:AssumeRole` on exactly
 * the roles named), and the target's rights belong to the role in the workload account
 * (`workloadRolePolicies`). Sids carry the target's index, so two targets' statements never
 * merge into one that names either's resources for the other's actions.
 *
 * The policy is separate from the role's default one so that the cdk-nag acknowledgement of
 * the wildcards IAM forces on ECS task definitions covers these statements and nothing a
 * later grant adds. Creates nothing when no target needs a right.
 */
export class RedeployGrants extends Construct {
  /** The policy, or undefined when the targets need nothing of the role. */
  readonly policy: Policy | undefined;

  constructor(scope: Construct, id: string, props: { role: IRole; targets: readonly ExternalRedeployTarget[] }) {
    super(scope, id);
    const statements: PolicyStatement[] = [];
    const roles = [...new Set(props.targets.flatMap((t) => ('roleArn' in t && t.roleArn ? [t.roleArn] : [])))];
    if (roles.length > 0) {
      statements.push(
        new PolicyStatement({ sid: 'AssumeWorkloadRoles', actions: ['sts:AssumeRole'], resources: roles }),
      );
    }
    props.targets.forEach((target, index) => {
      if ('roleArn' in target && target.roleArn) return;
      for (const statement of targetStatements(target)) {
        const json = statement.toStatementJson() as { Sid: string };
        statements.push(PolicyStatement.fromJson({ ...json, Sid: `${json.Sid}${index}` }));
      }
    });
    if (statements.length === 0) return;
    this.policy = new Policy(this, 'Policy', { roles: [props.role], statements });
    const wildcards = [...new Set(statements.flatMap((s) => s.resources).filter((r) => r.endsWith('*')))];
    for (const resource of wildcards) {
      Validations.of(this.policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason: wildcardReason(resource),
      });
    }
  }
}

/** Why a wildcard resource of these statements is as narrow as IAM allows. */
function wildcardReason(resource: string): string {
  if (resource === '*')
    return 'ecs:DescribeTaskDefinition and ecs:RegisterTaskDefinition support no resource-level permissions: "*" is their only resource.';
  if (resource.includes(':service-deployment/'))
    return "ecs:StopServiceDeployment on the configured service's own service deployments only: their ids are made by ECS at run time.";
  return "ecs:TagResource on task definitions, allowed only while registering one (condition ecs:CreateAction): the family is the service's, known only at run time.";
}

/**
 * The two policies of the role a workload account creates for a target that names
 * `roleArn`: who may assume it (only `serviceRoleArn`, the service's role that runs the
 * rollback), and what it may do (exactly `targetStatements`). Printed in
 * docs/REDEPLOY-TARGETS.md; `serviceRoleArn` is the stack's output.
 */
export function workloadRolePolicies(
  target: ExternalRedeployTarget,
  serviceRoleArn: string,
): { trust: PolicyDocumentJson; permissions: PolicyDocumentJson } {
  return {
    trust: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PlatformRollbackService',
          Effect: Effect.ALLOW,
          Principal: { AWS: serviceRoleArn },
          Action: 'sts:AssumeRole',
        },
      ],
    },
    permissions: {
      Version: '2012-10-17',
      Statement: targetStatements(target).map((s) => s.toStatementJson() as Record<string, unknown>),
    },
  };
}
