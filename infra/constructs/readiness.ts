import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ecsServiceArn, partitionOf, pipelineArn } from '../../functions/core/redeploy/aws.js';
import type { RedeployTargets } from '../../functions/core/redeploy/targets.js';
import { parseRepository } from '../../functions/core/safety.js';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { FailureQueue } from './notifier.js';
import { ServiceFunction } from './service-function.js';
import { repositoryArn, verifyAlarmArns } from './target-arns.js';

/**
 * The read-only calls of the readiness checks (functions/adapters/readiness-probes.ts), on
 * exactly the resources the redeploy targets name:
 * - cloudwatch:DescribeAlarms on the verify alarms;
 * - ecr:DescribeImages on the targets' `ecrRepository` and, for ECS, `imageRepositoryArn`;
 * - ECS: ecs:DescribeServices on the service; ecs:DescribeTaskDefinition, which IAM cannot
 *   scope to a resource (`*` is its only resource);
 * - CodePipeline: codepipeline:GetPipeline on the pipeline.
 * A target that names `roleArn` is looked at through that role (sts:AssumeRole on it only),
 * whose own policy then needs the same read actions (docs/REDEPLOY-TARGETS.md).
 */
export function readinessStatements(stack: Stack, targets: RedeployTargets): PolicyStatement[] {
  const all = Object.values(targets);
  const statements: PolicyStatement[] = [];
  const alarms = verifyAlarmArns(stack, all);
  if (alarms.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ReadinessVerifyAlarms', actions: ['cloudwatch:DescribeAlarms'], resources: alarms }),
    );
  }
  const own = all.filter((t) => !('roleArn' in t && t.roleArn));
  const repositories = [
    ...new Set([
      ...all.flatMap((t) => {
        if (!t.ecrRepository) return [];
        const ref = parseRepository(t.ecrRepository);
        // A repository URI names its account and region: its ARN is written out (and then equals
        // an ECS target's imageRepositoryArn for the same repository); a bare name is this stack's.
        if (ref.region && ref.registryId) {
          return [`arn:${partitionOf(ref.region)}:ecr:${ref.region}:${ref.registryId}:repository/${ref.name}`];
        }
        return [repositoryArn(stack, t.ecrRepository)];
      }),
      ...own.flatMap((t) => (t.via === 'ecs' && t.imageRepositoryArn ? [t.imageRepositoryArn] : [])),
    ]),
  ].sort();
  if (repositories.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ReadinessImages', actions: ['ecr:DescribeImages'], resources: repositories }),
    );
  }
  const services = own.flatMap((t) => (t.via === 'ecs' ? [ecsServiceArn(t)] : []));
  if (services.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ReadinessEcsServices', actions: ['ecs:DescribeServices'], resources: services }),
      new PolicyStatement({
        sid: 'ReadinessTaskDefinitions',
        actions: ['ecs:DescribeTaskDefinition'],
        resources: ['*'],
      }),
    );
  }
  const pipelines = own.flatMap((t) => (t.via === 'codepipeline' ? [pipelineArn(t)] : []));
  if (pipelines.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ReadinessPipelines', actions: ['codepipeline:GetPipeline'], resources: pipelines }),
    );
  }
  const roles = [
    ...new Set(all.flatMap((t) => ((t.via === 'ecs' || t.via === 'codepipeline') && t.roleArn ? [t.roleArn] : []))),
  ].sort();
  if (roles.length > 0) {
    statements.push(
      new PolicyStatement({ sid: 'ReadinessWorkloadRoles', actions: ['sts:AssumeRole'], resources: roles }),
    );
  }
  return statements;
}

/**
 * Gives `fn` what the readiness checks need: REDEPLOY_TARGETS, and readinessStatements in a
 * policy of its own (so that the acknowledgement of DescribeTaskDefinition's `*` covers it alone).
 */
export function grantReadinessChecks(scope: Construct, fn: ServiceFunction, targets: RedeployTargets): void {
  fn.fn.addEnvironment('REDEPLOY_TARGETS', JSON.stringify(targets));
  const statements = readinessStatements(Stack.of(scope), targets);
  if (statements.length === 0) return;
  const policy = new Policy(scope, 'ReadinessChecks', { roles: [fn.role], statements });
  if (statements.some((s) => s.resources.includes('*'))) {
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecs:DescribeTaskDefinition supports no resource-level permissions: "*" is its only resource.',
    });
  }
}

export interface ReadinessRefreshProps {
  /** The deployments table; must have its stream on (NEW_IMAGE). */
  table: ITable;
  targets: RedeployTargets;
  logRetention: RetentionDays;
  /** @default 1 hour */
  every?: Duration;
}

/**
 * Keeps each environment item's `readiness` current (functions/events/readiness-refresh.ts):
 * the table's stream, filtered to deployment records, refreshes the environments a batch
 * changed (within seconds of the change); an EventBridge schedule refreshes every environment
 * hourly (an image expired by a lifecycle policy, a renamed alarm: nothing in the table
 * changes). A batch that fails is retried, then its coordinates go to a failure queue whose
 * alarm fires; the next hourly run refreshes the environment anyway.
 *
 * Permissions: the table as TABLE_ACCESS.refreshReadiness has it (the history walk, the
 * environment items, the transitions' outbox items), the stream, and the readiness checks' reads.
 */
export class ReadinessRefresh extends Construct {
  readonly function: ServiceFunction;
  readonly failures: FailureQueue;

  constructor(scope: Construct, id: string, props: ReadinessRefreshProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      entry: 'functions/events/readiness-refresh-handler.ts',
      description: "Refreshes the environments' rollback readiness after record changes (stream) and hourly",
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    }).bindTable(props.table, TABLE_ACCESS.refreshReadiness);
    grantReadinessChecks(this, this.function, props.targets);

    this.failures = new FailureQueue(this, 'Failed', { what: 'Refreshing rollback readiness' });
    this.function.fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        bisectBatchOnError: true,
        retryAttempts: 3,
        onFailure: new SqsDlq(this.failures.queue),
        filters: [
          FilterCriteria.filter({ dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('deployment') } } } }),
        ],
      }),
    );
    Validations.of(this.function.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The stream event source grants dynamodb:ListStreams, which supports no resource-level permissions ("*" is its only resource); the stream reads name the stream ARN.',
    });
    new Rule(this, 'Schedule', {
      description: "Refreshes every environment's rollback readiness",
      schedule: Schedule.rate(props.every ?? Duration.hours(1)),
      targets: [new LambdaFunction(this.function.fn, { retryAttempts: 2 })],
    });
  }
}
