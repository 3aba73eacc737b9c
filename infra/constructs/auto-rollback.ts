import { ArnFormat, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import { type AlarmBase, CfnAlarm, CfnCompositeAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AlarmRule } from '../../functions/core/schemas.js';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { FailureQueue } from './notifier.js';
import { ServiceFunction } from './service-function.js';

export interface AutoRollbackProps {
  /** The deployments table. The function writes rollbacks and their outbox messages there; the notifier publishes them. */
  table: ITable;
  logRetention: RetentionDays;
}

export interface WatchOptions {
  /** The environment this alarm guards: its current deployment is rolled back when the alarm goes into ALARM. */
  environment: string;
  /** Only a deployment made at most this long before the alarm fired is blamed. */
  window: Duration;
}

/**
 * The automated rollback: a function that CloudWatch alarms invoke, `watch()` to wire an
 * alarm defined in this CDK app to an environment (its Lambda action), and `watchByName()`
 * for an alarm that exists already, outside the app (an EventBridge rule on its state changes).
 *
 * The function needs no topic: its rollback and its messages are one transaction on the
 * table (the outbox), and the Notifier publishes them. Async invocations that fail after
 * Lambda's two retries, or wait over an hour, go to an encrypted failure queue with an alarm.
 */
export class AutoRollback extends Construct {
  readonly function: ServiceFunction;
  readonly failures: FailureQueue;
  /** Alarm name → rule; a Map, so no alarm name can collide with an object's own properties. */
  private readonly rules = new Map<string, AlarmRule>();
  /** Whether a composite alarm is watched (see the CloudWatch grant in the constructor). */
  private composite = false;
  private confirmationGranted = false;

  constructor(scope: Construct, id: string, props: AutoRollbackProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      entry: 'functions/events/auto-rollback-handler.ts',
      description: 'Rolls back the current deployment of an environment when a CloudWatch alarm guarding it fires',
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
      // The rules are written at synth from every watch() call, including later ones.
      environment: { ALARM_RULES: Lazy.string({ produce: () => JSON.stringify(Object.fromEntries(this.rules)) }) },
    }).bindTable(props.table, TABLE_ACCESS.autoRollback);
    this.failures = new FailureQueue(this, 'Failed', { what: 'Automated rollbacks' });
    this.function.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.failures.queue),
    });
  }

  /**
   * Makes `alarm` roll back `environment`: adds the function as the alarm's action, lets
   * CloudWatch invoke it for this alarm only (SourceArn), and maps the alarm's name to the
   * environment in the function's ALARM_RULES.
   *
   * The alarm needs a literal name (`alarmName: \`${Stack.of(this).stackName}-api-5xx\``):
   * the mapping is by name because the function's configuration cannot reference the alarm's
   * ARN (the alarm's action references the function: a CloudFormation cycle).
   */
  watch(alarm: AlarmBase, options: WatchOptions): this {
    const name = literalNameOf(alarm);
    if (name === undefined) {
      throw new Error(
        `AutoRollback.watch(${alarm.node.path}): the alarm needs a literal alarmName (e.g. \`\${Stack.of(this).stackName}-api-5xx\`). ` +
          'The rollback maps alarms to environments by name, because referencing the ARN from the function would form a dependency cycle with the alarm action.',
      );
    }
    this.map(name, options);
    if (alarm.node.defaultChild instanceof CfnCompositeAlarm && !this.composite) {
      this.composite = true;
      Validations.of(this.function.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'A composite alarm is watched: CloudWatch describes composite alarms (DescribeAlarms, DescribeAlarmHistory) only to a caller whose permission is scoped to "*".',
      });
    }
    alarm.addAlarmAction(new LambdaAction(this.function.fn, { useUniquePermissionId: true }));
    return this;
  }

  /**
   * Makes the EXISTING alarm `alarmName` (in this stack's account and region; made by hand, by
   * another app, by Terraform) roll back `environment`, with nothing to change on the alarm: an
   * EventBridge rule matches its transitions into ALARM (by the alarm's exact ARN) and invokes
   * the function, which CloudWatch's Lambda action would need the alarm's owner to add. Lambda
   * lets the rule invoke it (SourceArn: the rule); events EventBridge cannot deliver within an
   * hour go to the failure queue. Returns the rule.
   */
  watchByName(alarmName: string, options: WatchOptions): Rule {
    if (this.rules.has(alarmName)) throw new Error(`AutoRollback.watchByName(${alarmName}): already watched`);
    this.map(alarmName, options);
    const alarmArn = Stack.of(this).formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: alarmName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return new Rule(this, `Watch ${alarmName.replaceAll('/', '_')}`, {
      description: `Alarm ${alarmName} going into ALARM rolls back ${options.environment}`.slice(0, 512),
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new LambdaFunction(this.function.fn, { deadLetterQueue: this.failures.queue, maxEventAge: Duration.hours(1) }),
      ],
    });
  }

  /**
   * The function confirms each alarm state change with CloudWatch before acting on it
   * (functions/adapters/cloudwatch-confirmer.ts). Both actions take resource-level
   * permissions on alarm ARNs, so the grant names the watched alarms and no others; it is
   * added with the first watched alarm (a function that watches none asks CloudWatch nothing).
   * A composite alarm is the exception: CloudWatch answers for one only to a caller whose
   * permission is scoped to "*", so watching one widens the grant (and says why).
   */
  private grantConfirmation(): void {
    if (this.confirmationGranted) return;
    this.confirmationGranted = true;
    this.function.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
        resources: Lazy.list({
          produce: () =>
            this.composite
              ? ['*']
              : [...this.rules.keys()].map((name) =>
                  Stack.of(this).formatArn({
                    service: 'cloudwatch',
                    resource: 'alarm',
                    resourceName: name,
                    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                  }),
                ),
        }),
      }),
    );
  }

  /** Adds `name` → environment to ALARM_RULES, after checking what the function would refuse at init. */
  private map(name: string, options: WatchOptions): void {
    const rule = AlarmRule.safeParse({ environment: options.environment, windowMinutes: options.window.toMinutes() });
    if (!rule.success) {
      const problems = rule.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`AutoRollback.watch(${name}): ${problems} (the window is whole minutes, 1 minute to 7 days)`);
    }
    const existing = this.rules.get(name);
    if (existing && existing.environment !== options.environment) {
      throw new Error(`AutoRollback.watch(${name}): already watched for ${existing.environment}`);
    }
    this.rules.set(name, rule.data);
    this.grantConfirmation();
  }
}

/**
 * The alarm's name as written in the app, or undefined when CloudFormation would choose it.
 * `alarm.alarmName` is a token even when a name was given, so the L1 resource is asked.
 */
function literalNameOf(alarm: AlarmBase): string | undefined {
  if (!Token.isUnresolved(alarm.alarmName)) return alarm.alarmName;
  const resource = alarm.node.defaultChild;
  const given = resource instanceof CfnAlarm || resource instanceof CfnCompositeAlarm ? resource.alarmName : undefined;
  return given !== undefined && !Token.isUnresolved(given) ? given : undefined;
}
