/**
 * Realistic alarm events in the three shapes AWS documents (the alarm's Lambda action, an
 * EventBridge "CloudWatch Alarm State Change", an SNS alarm notification), for
 * `npm run alarm` and the tests. Built like the examples in the CloudWatch and EventBridge
 * user guides, including CloudWatch's `+0000` timestamps.
 */
import type { AlarmShape } from '../../functions/events/alarm-event.js';

export const LOCAL_ACCOUNT = '000000000000';

export interface AlarmFixture {
  name: string;
  /** Defaults to an alarm of that name in us-east-1 of LOCAL_ACCOUNT. */
  arn?: string;
  state?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  previousState?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  reason?: string;
  /** When the state changed. */
  at: Date;
}

/** CloudWatch's own timestamp form: `2026-11-27T10:00:00.000+0000`. */
export function cloudwatchTime(at: Date): string {
  return at.toISOString().replace('Z', '+0000');
}

/** The ARN CloudWatch gives an alarm of that name (local mode: a made-up account). */
export function alarmArnOf(name: string, region = 'us-east-1', account = LOCAL_ACCOUNT): string {
  return `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
}

function defaults(f: AlarmFixture) {
  return {
    arn: f.arn ?? alarmArnOf(f.name),
    state: f.state ?? 'ALARM',
    previousState: f.previousState ?? 'OK',
    reason:
      f.reason ??
      'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (27/11/26 09:59:00)] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition).',
    time: cloudwatchTime(f.at),
    previousTime: cloudwatchTime(new Date(f.at.getTime() - 5 * 60_000)),
  };
}

const configuration = (name: string) => ({
  description: `Guards a deployment (${name})`,
  metrics: [
    {
      id: 'm1',
      metricStat: {
        metric: { namespace: 'AWS/ApiGateway', name: '5xx', dimensions: { ApiId: 'a1b2c3' } },
        period: 60,
        stat: 'Sum',
      },
      returnData: true,
    },
  ],
});

/** The state change as both the Lambda action (`alarmData`) and EventBridge (`detail`) carry it. */
function stateChange(f: AlarmFixture, d: ReturnType<typeof defaults>) {
  return {
    alarmName: f.name,
    state: { value: d.state, reason: d.reason, reasonData: '{"version":"1.0"}', timestamp: d.time },
    previousState: { value: d.previousState, reason: 'Threshold Crossed', timestamp: d.previousTime },
    configuration: configuration(f.name),
  };
}

/** The event an alarm's Lambda action sends (CloudWatch user guide, "Lambda alarm actions"). */
export function alarmActionEvent(f: AlarmFixture) {
  const d = defaults(f);
  return {
    source: 'aws.cloudwatch',
    alarmArn: d.arn,
    accountId: d.arn.split(':')[4],
    time: d.time,
    region: d.arn.split(':')[3],
    alarmData: stateChange(f, d),
  };
}

/** The EventBridge event (CloudWatch user guide, "Alarm events and EventBridge"). */
export function eventBridgeEvent(f: AlarmFixture) {
  const d = defaults(f);
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: d.arn.split(':')[4],
    time: f.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: d.arn.split(':')[3],
    resources: [d.arn],
    detail: stateChange(f, d),
  };
}

/** The SNS event a subscribed function gets when the alarm notifies a topic. */
export function snsAlarmEvent(f: AlarmFixture) {
  const d = defaults(f);
  const [, , , region, account] = d.arn.split(':');
  const topicArn = `arn:aws:sns:${region}:${account}:alarms`;
  const message = {
    AlarmName: f.name,
    AlarmDescription: `Guards a deployment (${f.name})`,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: d.previousTime,
    NewStateValue: d.state,
    NewStateReason: d.reason,
    StateChangeTime: d.time,
    Region: 'US East (N. Virginia)',
    AlarmArn: d.arn,
    OldStateValue: d.previousState,
    OKActions: [],
    AlarmActions: [topicArn],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: '5xx',
      Namespace: 'AWS/ApiGateway',
      StatisticType: 'Statistic',
      Statistic: 'SUM',
      Unit: null,
      Dimensions: [{ value: 'a1b2c3', name: 'ApiId' }],
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      TreatMissingData: 'notBreaching',
      EvaluateLowSampleCountPercentile: '',
    },
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        Sns: {
          Type: 'Notification',
          MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          TopicArn: topicArn,
          Subject: `${d.state}: "${f.name}" in US East (N. Virginia)`,
          Message: JSON.stringify(message),
          Timestamp: f.at.toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:EXAMPLE`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The event of `shape` for one state change: `npm run alarm --shape` and the tests pick the shape. */
export function alarmEvent(shape: AlarmShape, f: AlarmFixture) {
  if (shape === 'lambda') return alarmActionEvent(f);
  if (shape === 'eventbridge') return eventBridgeEvent(f);
  return snsAlarmEvent(f);
}
