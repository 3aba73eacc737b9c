import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RedeployTarget, RedeployTargets } from '../../functions/core/redeploy/targets.js';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { RedeployGrants } from './redeploy-grants.js';
import { ServiceFunction } from './service-function.js';
import { repositoryArn, verifyAlarmArns } from './target-arns.js';

export interface RollbackRunsProps {
  table: ITable;
  logRetention: RetentionDays;
  /** The environments that get rollback runs, checked at synth (settings.ts). */
  targets: RedeployTargets;
}

/**
 * The rollback run workflow: a Lambda durable function (functions/events/rollback-run.ts)
 * behind the alias `live`, since a durable function is invoked through a version or alias.
 * Least privilege: the table (write: runs, records, outbox), its own checkpoints, DescribeAlarms
 * on exactly the verify alarms, DescribeImages on exactly the configured repositories.
 * `grantStart` lets a function start runs (invoke the alias, and know the targets).
 */
export class RollbackRuns extends Construct {
  readonly function: ServiceFunction;
  readonly alias: Alias;
  /** REDEPLOY_TARGETS, as the functions read it. */
  readonly targets: string;

  constructor(scope: Construct, id: string, props: RollbackRunsProps) {
    super(scope, id);
    this.targets = JSON.stringify(props.targets);
    this.function = new ServiceFunction(this, 'Workflow', {
      entry: 'functions/events/rollback-run-handler.ts',
      description: 'Rollback runs: identify, checks, mark, redeploy, record, verify, notify (durable)',
      logRetention: props.logRetention,
      // One invocation runs the steps up to the next wait; the waits themselves cost nothing.
      timeout: Duration.minutes(2),
      durableConfig: { executionTimeout: Duration.days(2), retentionPeriod: Duration.days(30) },
      environment: { REDEPLOY_TARGETS: this.targets },
    }).bindTable(props.table, TABLE_ACCESS.runWorkflow);
    this.alias = new Alias(this, 'Live', { aliasName: 'live', version: this.function.fn.currentVersion });

    const stack = Stack.of(this);
    const statements = [
      // The SDK checkpoints through these, on the function's own versions and aliases only.
      new PolicyStatement({
        actions: ['lambda:CheckpointDurableExecution', 'lambda:GetDurableExecutionState'],
        resources: [`${this.function.fn.functionArn}:*`],
      }),
    ];
    const alarms = verifyAlarmArns(stack, Object.values(props.targets));
    if (alarms.length > 0) {
      statements.push(new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: alarms }));
    }
    const repositories = [
      ...new Set(Object.values(props.targets).flatMap((t) => (t.ecrRepository ? [t.ecrRepository] : []))),
    ].sort();
    if (repositories.length > 0) {
      statements.push(
        new PolicyStatement({
          actions: ['ecr:DescribeImages'],
          resources: repositories.map((value) => repositoryArn(stack, value)),
        }),
      );
    }
    // What each ECS, CodePipeline or GitHub Actions target calls, on exactly its resources
    // (sts:AssumeRole only on the roles named where a target deploys into another account).
    const aws = Object.values(props.targets).filter(
      (t): t is Extract<RedeployTarget, { via: 'ecs' | 'codepipeline' | 'github-actions' }> =>
        t.via === 'ecs' || t.via === 'codepipeline' || t.via === 'github-actions',
    );
    if (aws.length > 0) new RedeployGrants(this, 'RedeployGrants', { role: this.function.role, targets: aws });
    // A policy of its own, not the role's default policy: the function depends on its role,
    // and a statement naming the function's ARN in the role's default policy would be a cycle.
    const access = new Policy(this, 'Access', { roles: [this.function.role], statements });
    Validations.of(access).acknowledge({
      // cdk-nag names the finding by the function's logical id.
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.fn.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        "The durable execution APIs act on the function's qualified ARNs (versions, aliases): `<function ARN>:*` is this one function, as AWS's durable functions security guide scopes it.",
    });
  }

  /** Lets `starter` start runs: invoke the alias (only), with the targets and the alias ARN in its environment. */
  grantStart(starter: ServiceFunction): void {
    this.alias.grantInvoke(starter.role);
    starter.fn.addEnvironment('RUN_FUNCTION', this.alias.functionArn);
    starter.fn.addEnvironment('REDEPLOY_TARGETS', this.targets);
  }
}
