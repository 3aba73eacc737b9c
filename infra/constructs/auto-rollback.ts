import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { type AlarmBase, CfnAlarm, CfnCompositeAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENVIRONMENT_PATTERN } from '../../functions/core/schemas.js';
import type { AlarmRule } from '../../functions/core/use-cases/auto-rollback.js';
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
 * The automated rollback: a function that CloudWatch alarms invoke directly (their Lambda
 * action), and `watch()` to wire an alarm to an environment.
 *
 * The function needs no topic: its rollback and its messages are one transaction on the
 * table (the outbox), and the Notifier publishes them. Async invocations that fail after
 * Lambda's two retries, or wait over an hour, go to an encrypted failure queue with an alarm.
 */
export class AutoRollback extends Construct {
  readonly function: ServiceFunction;
  readonly failures: FailureQueue;
  private readonly rules: Record<string, AlarmRule> = {};

  constructor(scope: Construct, id: string, props: AutoRollbackProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      entry: 'functions/events/auto-rollback.ts',
      description: 'Rolls back the current deployment of an environment when a CloudWatch alarm guarding it fires',
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
      // The rules are written at synth from every watch() call, including later ones.
      environment: { ALARM_RULES: Lazy.string({ produce: () => JSON.stringify(this.rules) }) },
    }).bindTable(props.table, 'write');
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
    if (!ENVIRONMENT_PATTERN.test(options.environment)) {
      throw new Error(`AutoRollback.watch(${name}): "${options.environment}" is not a valid environment name`);
    }
    const windowMinutes = options.window.toMinutes();
    if (!Number.isInteger(windowMinutes) || windowMinutes < 1) {
      throw new Error(`AutoRollback.watch(${name}): window must be a whole number of minutes, at least 1`);
    }
    const existing = this.rules[name];
    if (existing && existing.environment !== options.environment) {
      throw new Error(`AutoRollback.watch(${name}): already watched for ${existing.environment}`);
    }
    this.rules[name] = { environment: options.environment, windowMinutes };
    alarm.addAlarmAction(new LambdaAction(this.function.fn, { useUniquePermissionId: true }));
    return this;
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
