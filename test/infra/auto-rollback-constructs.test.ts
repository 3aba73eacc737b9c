import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoRollback } from '../../infra/constructs/auto-rollback.js';
import { Notifier } from '../../infra/constructs/notifier.js';

// biome-ignore lint/suspicious/noExplicitAny: a synthesized template is untyped JSON
type Json = Record<string, any>;

/** A test-only stack: a table with its stream, an encrypted topic, and the two constructs. */
function build() {
  const app = new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'auto-rollback-constructs-')),
    context: { 'aws:cdk:bundling-stacks': [] }, // wiring is under test, not the bundles
  });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new Table(stack, 'Table', {
    partitionKey: { name: 'PK', type: AttributeType.STRING },
    sortKey: { name: 'SK', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    stream: StreamViewType.NEW_IMAGE,
  });
  const topic = new Topic(stack, 'Topic', { masterKey: new Key(stack, 'TopicKey', { enableKeyRotation: true }) });
  const notifier = new Notifier(stack, 'Notifier', { table, topic, logRetention: RetentionDays.ONE_MONTH });
  const autoRollback = new AutoRollback(stack, 'AutoRollback', { table, logRetention: RetentionDays.ONE_MONTH });
  const errors = (name: string) =>
    new Alarm(stack, name, {
      alarmName: `${stack.stackName}-${name}`,
      metric: new Metric({ namespace: 'AWS/ApiGateway', metricName: '5xx', period: Duration.minutes(1) }),
      threshold: 5,
      evaluationPeriods: 1,
    });
  // watch() after the constructs exist: the lazily written rules must still hold both.
  const prod = errors('ProdErrors');
  const staging = errors('StagingErrors');
  autoRollback.watch(prod, { environment: 'prod', window: Duration.minutes(60) });
  autoRollback.watch(staging, { environment: 'staging', window: Duration.minutes(30) });
  return { app, stack, table, topic, notifier, autoRollback, prod, staging };
}

let built: ReturnType<typeof build>;
let template: Template;
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  built.stack.getLogicalId(construct.node.defaultChild as never);

beforeAll(() => {
  built = build();
  template = Template.fromStack(built.stack);
});
afterAll(() => rmSync(built.app.outdir, { recursive: true, force: true }));

const policiesOf = (roleLogicalId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy')).filter((p: Json) =>
    p.Properties.Roles.some((r: Json) => r.Ref === roleLogicalId),
  );
const actionsOf = (roleLogicalId: string) =>
  policiesOf(roleLogicalId).flatMap((p: Json) =>
    p.Properties.PolicyDocument.Statement.flatMap((s: Json) => [s.Action].flat()),
  );

describe('Notifier', () => {
  it('is fed by the stream, outbox INSERTs only, bisecting and reporting failed items, with a failure destination', () => {
    const queue = logicalId(built.notifier.failures.queue);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(built.notifier.function.fn) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built.table), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['outbox'] } } } }) },
        ],
      },
    });
  });

  it('its failure queue is encrypted and TLS-only, and an alarm fires on its first message', () => {
    const queue = logicalId(built.notifier.failures.queue);
    template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ SqsManagedSseEnabled: true }),
    });
    expect(template.findResources('AWS::SQS::Queue')[queue]?.Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('may publish to the topic (and use its key), GetItem and UpdateItem the table: nothing else on the table', () => {
    const role = logicalId(built.notifier.function.role);
    const actions = actionsOf(role);
    expect(actions).toContain('sns:Publish');
    expect(actions).toEqual(expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']));
    const tableActions = actions.filter(
      (a: string) => a.startsWith('dynamodb:') && !/GetRecords|GetShardIterator|DescribeStream|ListStreams/.test(a),
    );
    expect(tableActions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: logicalId(built.table) },
          TOPIC_ARN: { Ref: logicalId(built.topic) },
        }),
      },
    });
  });
});

describe('AutoRollback', () => {
  it('watch() makes the function the alarm action, invocable by CloudWatch for that alarm only', () => {
    const fn = logicalId(built.autoRollback.function.fn);
    for (const [alarm, name] of [
      [built.prod, 'Test-ProdErrors'],
      [built.staging, 'Test-StagingErrors'],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        AlarmActions: [{ 'Fn::GetAtt': [fn, 'Arn'] }],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
        Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(alarm), 'Arn'] },
        SourceAccount: '123456789012',
      });
    }
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p: Json) => p.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com',
    );
    expect(permissions).toHaveLength(2);
  });

  it('maps each watched alarm, by name, to its environment and window (watch() after construction counts)', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(built.autoRollback.function.fn)];
    expect(JSON.parse(fn?.Properties.Environment.Variables.ALARM_RULES)).toEqual({
      'Test-ProdErrors': { environment: 'prod', windowMinutes: 60 },
      'Test-StagingErrors': { environment: 'staging', windowMinutes: 30 },
    });
  });

  it('writes the table (rollback + outbox) with no Scan and no DeleteItem, and needs no topic', () => {
    const actions = actionsOf(logicalId(built.autoRollback.function.role));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions.filter((a: string) => /sns:|Scan|DeleteItem|BatchWrite/.test(a))).toEqual([]);
  });

  it('sends async invocations that fail after the retries to an alarmed failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(built.autoRollback.function.fn) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(built.autoRollback.failures.queue), 'Arn'] } },
      },
    });
  });

  it('refuses, at synth, an alarm without a literal name (the mapping is by name), and a bad environment', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Other');
    const table = new Table(stack, 'T', {
      partitionKey: { name: 'PK', type: AttributeType.STRING },
      stream: StreamViewType.NEW_IMAGE,
    });
    const rollback = new AutoRollback(stack, 'R', { table, logRetention: RetentionDays.ONE_DAY });
    const metric = new Metric({ namespace: 'N', metricName: 'M' });
    const unnamed = new Alarm(stack, 'Unnamed', { metric, threshold: 1, evaluationPeriods: 1 });
    expect(() => rollback.watch(unnamed, { environment: 'prod', window: Duration.hours(1) })).toThrow(
      /needs a literal alarmName.*dependency cycle/s,
    );
    const named = new Alarm(stack, 'Named', { alarmName: 'n', metric, threshold: 1, evaluationPeriods: 1 });
    expect(() => rollback.watch(named, { environment: 'Prod!', window: Duration.hours(1) })).toThrow(
      /not a valid environment/,
    );
  });
});

describe('no policy anywhere in these constructs allows Scan or DeleteItem, and cdk-nag finds nothing in them', () => {
  it('no Scan, no DeleteItem', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: Json) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: Json) => [s.Action].flat()),
    );
    expect(all.filter((a: string) => /Scan|DeleteItem|dynamodb:\*/.test(a))).toEqual([]);
  });

  it('AwsSolutions: no unacknowledged finding in Notifier or AutoRollback', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    const ours = report.violations.flatMap((v) =>
      v.violatingResources
        .filter((r) => /\/(Notifier|AutoRollback)\//.test(r.constructPath ?? ''))
        .map((r) => `${v.ruleName}: ${r.constructPath}`),
    );
    expect(ours).toEqual([]);
  });
});
