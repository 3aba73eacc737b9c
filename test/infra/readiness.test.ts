import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Policy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { parseRedeployTargets } from '../../functions/core/redeploy/targets.js';
import { readinessStatements } from '../../infra/constructs/readiness.js';

/**
 * The readiness checks' IAM: read-only calls, on exactly the resources the redeploy targets
 * name (the ECS service, the pipeline, the repositories, the verify alarms); a target that
 * names a role is looked at through that role alone.
 */
const ACCOUNT = '111122223333';
const WORKLOAD = '444455556666';
const targets = parseRedeployTargets(
  {
    prod: {
      via: 'ecs',
      accountId: ACCOUNT,
      region: 'eu-west-1',
      cluster: 'prod',
      service: 'shop-api',
      containerName: 'web',
      imageRepositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/shop-api`,
      ecrRepository: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop-api`,
      verify: { alarms: ['prod-5xx', 'prod-latency'] },
    },
    billing: {
      via: 'ecs',
      accountId: WORKLOAD,
      region: 'eu-west-1',
      cluster: 'prod',
      service: 'billing',
      containerName: 'app',
      roleArn: `arn:aws:iam::${WORKLOAD}:role/platform-rollback-redeploy`,
      imageRepositoryArn: `arn:aws:ecr:eu-west-1:${WORKLOAD}:repository/billing`,
    },
    web: { via: 'codepipeline', accountId: ACCOUNT, region: 'us-east-1', pipeline: 'shop-web-deploy' },
    staging: { via: 'callback', verify: { alarms: ['staging-5xx'] } },
  },
  'test',
);

function synth(which: typeof targets) {
  const app = new App();
  const stack = new Stack(app, 'Readiness', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const statements = readinessStatements(stack, which);
  if (statements.length > 0) {
    const policy = new Policy(stack, 'ReadinessChecks', { roles: [role], statements });
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'DescribeTaskDefinition' });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
  }[];
  // `arn:${Partition}...` as the literal ARN it is in the commercial partition.
  const text = JSON.stringify(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).replace(
    /\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},"([^"]+)"\]\]\}/g,
    '"arn:aws$1"',
  );
  return JSON.parse(text) as Record<string, unknown>[];
}

describe('readiness check grants', () => {
  it('reads only: the alarms, the repositories, the ECS service, task definitions, the pipeline, and assumes the named role', () => {
    expect(synth(targets)).toEqual([
      {
        Sid: 'ReadinessVerifyAlarms',
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: [
          `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:prod-5xx`,
          `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:prod-latency`,
          `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:staging-5xx`,
        ],
      },
      {
        Sid: 'ReadinessImages',
        Effect: 'Allow',
        Action: 'ecr:DescribeImages',
        Resource: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/shop-api`,
      },
      {
        Sid: 'ReadinessEcsServices',
        Effect: 'Allow',
        Action: 'ecs:DescribeServices',
        Resource: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/shop-api`,
      },
      { Sid: 'ReadinessTaskDefinitions', Effect: 'Allow', Action: 'ecs:DescribeTaskDefinition', Resource: '*' },
      {
        Sid: 'ReadinessPipelines',
        Effect: 'Allow',
        Action: 'codepipeline:GetPipeline',
        Resource: `arn:aws:codepipeline:us-east-1:${ACCOUNT}:shop-web-deploy`,
      },
      {
        Sid: 'ReadinessWorkloadRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::${WORKLOAD}:role/platform-rollback-redeploy`,
      },
    ]);
  });

  it('grants nothing without targets', () => {
    expect(readinessStatements(new Stack(new App(), 'Empty'), {})).toEqual([]);
  });
});
