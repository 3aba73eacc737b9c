import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoRollback } from '../../infra/constructs/auto-rollback.js';
import { OrganizationAlarmBus } from '../../infra/constructs/organization-alarm-bus.js';
import { alarmArnOf, eventBridgeEvent } from '../../infra/local/alarm-events.js';
import { deliveredBy } from '../support/event-rules.js';

/**
 * The bus through which alarms in the organization's other accounts reach the automated
 * rollback: its policy admits only the organization, and its one rule sends alarm
 * transitions into ALARM to the auto-rollback function. Built once (the function is bundled),
 * with cdk-nag checking it.
 */

const ORG = 'o-a1b2c3d4e5';
let template: Template;
let bus: OrganizationAlarmBus;
let autoRollback: AutoRollback;

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, 'Bus');
  const table = new Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  autoRollback = new AutoRollback(stack, 'AutoRollback', { table, logRetention: RetentionDays.ONE_WEEK });
  bus = new OrganizationAlarmBus(stack, 'OrganizationAlarms', { organizationId: ORG, autoRollback });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
});

describe('organization alarm bus', () => {
  it('admits PutEvents from principals of the organization only, on this bus only', () => {
    const policies = Object.values(template.findResources('AWS::Events::EventBusPolicy'));
    expect(policies).toHaveLength(1);
    const properties = (policies[0] as { Properties: Record<string, unknown> }).Properties;
    expect(properties.EventBusName).toEqual({ Ref: expect.stringMatching(/^OrganizationAlarmsBus/) });
    expect(properties.Statement).toEqual({
      Sid: 'cdk-OrganizationAlarms',
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OrganizationAlarmsBus/), 'Arn'] },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
  });

  it("forwards alarm transitions into ALARM on that bus to the auto-rollback function, with the function's failure queue", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^OrganizationAlarmsBus') },
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AutoRollbackFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AutoRollbackFailed'), 'Arn'] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600 },
          Id: Match.anyValue(),
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrganizationAlarmsAlarmsToRollback'), 'Arn'] },
    });
    expect(bus.rule.node.path).toBe('Bus/OrganizationAlarms/AlarmsToRollback');
  });

  it('refuses an organization id that is not one, at synth', () => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new OrganizationAlarmBus(stack, 'Org', { organizationId: '123456789012', autoRollback })).toThrow(
      /"123456789012" is not an organization id/,
    );
  });
});

describe("the bus's rule, put into EventBridge in moto", () => {
  it("delivers any account's alarm going into ALARM, and no other state or event", async () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: { EventPattern: unknown };
    }[];
    const at = new Date();
    const events = [
      eventBridgeEvent({
        name: 'shop-5xx',
        arn: alarmArnOf('shop-5xx', 'eu-west-1', '111122223333'),
        state: 'ALARM',
        at,
      }),
      eventBridgeEvent({
        name: 'pay-5xx',
        arn: alarmArnOf('pay-5xx', 'us-east-1', '444455556666'),
        state: 'ALARM',
        at,
      }),
      eventBridgeEvent({ name: 'shop-5xx', arn: alarmArnOf('shop-5xx', 'eu-west-1', '111122223333'), state: 'OK', at }),
      eventBridgeEvent({ name: 'shop-5xx', state: 'INSUFFICIENT_DATA', at }),
      {
        ...eventBridgeEvent({ name: 'shop-5xx', state: 'ALARM', at }),
        'detail-type': 'CloudWatch Alarm Configuration Change',
      },
      { ...eventBridgeEvent({ name: 'shop-5xx', state: 'ALARM', at }), source: 'com.example.forged' },
    ];
    expect(await deliveredBy(rule?.Properties.EventPattern, events)).toEqual([0, 1]);
  });
});
