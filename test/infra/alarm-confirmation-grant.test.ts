import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm, CompositeAlarm, AlarmRule as CwAlarmRule, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { AutoRollback } from '../../infra/constructs/auto-rollback.js';

const CONFIRM = ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'];

function build() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const table = new Table(stack, 'T', {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    stream: StreamViewType.NEW_IMAGE,
  });
  const rollback = new AutoRollback(stack, 'R', { table, logRetention: RetentionDays.ONE_DAY });
  return { stack, rollback };
}

/** The Resource of the statement granting the confirmation calls, resolved. */
function confirmationResources(stack: Stack): unknown {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  const statements = Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties
        .PolicyDocument.Statement,
  );
  const found = statements.filter((s) => JSON.stringify(s.Action) === JSON.stringify(CONFIRM));
  expect(found).toHaveLength(1);
  return found[0]?.Resource;
}

const arnOf = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:alarm:${name}`,
    ],
  ],
});

describe('the auto-rollback may describe the alarms it watches, and no others', () => {
  it('names each watched alarm by ARN', () => {
    const { stack, rollback } = build();
    const metric = new Metric({ namespace: 'N', metricName: 'M' });
    rollback.watch(new Alarm(stack, 'A', { alarmName: 'api-5xx', metric, threshold: 1, evaluationPeriods: 1 }), {
      environment: 'prod',
      window: Duration.hours(1),
    });
    rollback.watchByName('existing-latency', { environment: 'staging', window: Duration.minutes(30) });
    expect(confirmationResources(stack)).toEqual([arnOf('api-5xx'), arnOf('existing-latency')]);
  });

  it('grants nothing when no alarm is watched', () => {
    const { stack } = build();
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('cloudwatch:Describe');
  });

  it('widens to "*" only for a composite alarm, which CloudWatch describes to no narrower grant', () => {
    const { stack, rollback } = build();
    const metric = new Metric({ namespace: 'N', metricName: 'M' });
    const child = new Alarm(stack, 'Child', { alarmName: 'child', metric, threshold: 1, evaluationPeriods: 1 });
    const composite = new CompositeAlarm(stack, 'C', {
      compositeAlarmName: 'prod-health',
      alarmRule: CwAlarmRule.anyOf(child),
    });
    rollback.watch(composite, { environment: 'prod', window: Duration.hours(1) });
    expect(confirmationResources(stack)).toEqual(['*']);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: CONFIRM, Resource: ['*'] })]) },
    });
  });
});
