import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ExternalRedeployTarget } from '../../functions/core/redeploy/targets.js';
import { RedeployGrants, workloadRolePolicies } from '../../infra/constructs/redeploy-grants.js';
import { controlTowerGuard } from '../../infra/control-tower-guard.js';

/**
 * The IAM the redeploy targets get: each target exactly what its adapter calls, on exactly
 * the resources its configuration names; a target that names a role only lets the service
 * assume that role. Checked on the synthesized template, statement by statement.
 */

const ACCOUNT = '111122223333';
const WORKLOAD = '444455556666';
const ecsLocal = ExternalRedeployTarget.parse({
  via: 'ecs',
  accountId: ACCOUNT,
  region: 'eu-west-1',
  cluster: 'prod',
  service: 'shop-api',
  containerName: 'web',
  passRoleArns: [`arn:aws:iam::${ACCOUNT}:role/shop-api-task`, `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`],
  imageRepositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/shop-api`,
});
const ecsRemote = ExternalRedeployTarget.parse({
  via: 'ecs',
  accountId: WORKLOAD,
  region: 'eu-west-1',
  cluster: 'prod',
  service: 'billing',
  containerName: 'app',
  roleArn: `arn:aws:iam::${WORKLOAD}:role/platform-rollback-redeploy`,
});
const pipelineLocal = ExternalRedeployTarget.parse({
  via: 'codepipeline',
  accountId: ACCOUNT,
  region: 'us-east-1',
  pipeline: 'shop-web-deploy',
});
const pipelineRemote = ExternalRedeployTarget.parse({
  via: 'codepipeline',
  accountId: WORKLOAD,
  region: 'us-east-1',
  pipeline: 'billing-deploy',
  roleArn: `arn:aws:iam::${WORKLOAD}:role/platform-rollback-pipeline`,
});
const github = ExternalRedeployTarget.parse({
  via: 'github-actions',
  owner: 'acme',
  repo: 'shop',
  workflow: 'rollback.yml',
  ref: 'main',
  tokenSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:platform-rollback/github-AbCdEf`,
});

function synth(targets: ExternalRedeployTarget[]) {
  const app = new App();
  const stack = new Stack(app, 'Grants');
  const role = new Role(stack, 'RunRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const grants = new RedeployGrants(stack, 'Redeploy', { role, targets });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), controlTowerGuard());
  // Throws on any cdk-nag or cfn-guard finding nobody acknowledged.
  const template = Template.fromStack(stack);
  return { template, grants, app };
}

function statementsOf(template: Template) {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return (policies[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
    .Statement;
}

describe('redeploy target grants', () => {
  it('ECS in our own account: the service, task definitions (no resource-level IAM), tag-on-register, PassRole to ECS tasks, the repository', () => {
    expect(statementsOf(synth([ecsLocal]).template)).toEqual([
      {
        Sid: 'UpdateService0',
        Effect: 'Allow',
        Action: ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'],
        Resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/shop-api`,
      },
      {
        Sid: 'StopServiceDeployment0',
        Effect: 'Allow',
        Action: 'ecs:StopServiceDeployment',
        Resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-deployment/prod/shop-api/*`,
      },
      {
        Sid: 'TaskDefinitions0',
        Effect: 'Allow',
        Action: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
        Resource: '*',
      },
      {
        Sid: 'TagRegisteredTaskDefinition0',
        Effect: 'Allow',
        Action: 'ecs:TagResource',
        Resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/*`,
        Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
      },
      {
        Sid: 'PassTaskRoles0',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: [`arn:aws:iam::${ACCOUNT}:role/shop-api-task`, `arn:aws:iam::${ACCOUNT}:role/shop-api-execution`],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      {
        Sid: 'CheckImageDigest0',
        Effect: 'Allow',
        Action: 'ecr:DescribeImages',
        Resource: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/shop-api`,
      },
    ]);
  });

  it('CodePipeline: start and get executions of the one pipeline', () => {
    expect(statementsOf(synth([pipelineLocal]).template)).toEqual([
      {
        Sid: 'FollowPipeline0',
        Effect: 'Allow',
        Action: ['codepipeline:StartPipelineExecution', 'codepipeline:GetPipelineExecution'],
        Resource: `arn:aws:codepipeline:us-east-1:${ACCOUNT}:shop-web-deploy`,
      },
    ]);
  });

  it('GitHub Actions: read the one secret holding the token', () => {
    expect(statementsOf(synth([github]).template)).toEqual([
      {
        Sid: 'ReadGitHubToken0',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:platform-rollback/github-AbCdEf`,
      },
    ]);
  });

  it('targets that name a role: sts:AssumeRole on exactly those roles, and none of their targets rights', () => {
    expect(statementsOf(synth([ecsRemote, pipelineRemote]).template)).toEqual([
      {
        Sid: 'AssumeWorkloadRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [
          `arn:aws:iam::${WORKLOAD}:role/platform-rollback-redeploy`,
          `arn:aws:iam::${WORKLOAD}:role/platform-rollback-pipeline`,
        ],
      },
    ]);
  });

  it('several targets keep their statements apart, each on its own resources', () => {
    const statements = statementsOf(synth([pipelineLocal, ecsRemote, github]).template) as Array<{ Sid: string }>;
    expect(statements.map((s) => s.Sid)).toEqual(['AssumeWorkloadRoles', 'FollowPipeline0', 'ReadGitHubToken2']);
  });

  it('no target that needs a right: no policy at all', () => {
    const { template, grants } = synth([]);
    expect(grants.policy).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('the policy is attached to the given role only', () => {
    const { template } = synth([github]);
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0] as { Properties: { Roles: unknown[] } };
    expect(policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^RunRole/) }]);
  });
});

describe('the workload account role', () => {
  const SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/PlatformRollback-prod-Stateless-RunRole-AbC123`;

  it('trusts only the service role, and may do exactly what the target calls', () => {
    const { trust, permissions } = workloadRolePolicies(ecsRemote, SERVICE_ROLE);
    expect(trust).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PlatformRollbackService',
          Effect: 'Allow',
          Principal: { AWS: SERVICE_ROLE },
          Action: 'sts:AssumeRole',
        },
      ],
    });
    expect(permissions.Statement.map((s) => s.Action)).toEqual([
      ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:ListServiceDeployments'],
      'ecs:StopServiceDeployment',
      ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
      'ecs:TagResource',
    ]);
    expect(permissions.Statement[0]?.Resource).toBe(`arn:aws:ecs:eu-west-1:${WORKLOAD}:service/prod/billing`);
    expect(permissions.Statement[1]?.Resource).toBe(
      `arn:aws:ecs:eu-west-1:${WORKLOAD}:service-deployment/prod/billing/*`,
    );
  });
});
