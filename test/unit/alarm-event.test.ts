import { describe, expect, it } from 'vitest';
import { dedupKeyOf } from '../../functions/core/use-cases/auto-rollback.js';
import { MalformedAlarmEvent, normaliseTimestamp, parseAlarmEvent } from '../../functions/events/alarm-event.js';
import { ConfigError, readAlarmRules } from '../../functions/lib/config.js';
import {
  alarmActionEvent,
  alarmArnOf,
  cloudwatchTime,
  eventBridgeEvent,
  snsAlarmEvent,
} from '../../infra/local/alarm-events.js';

const at = new Date('2026-11-27T10:00:00.123Z');
const fixture = { name: 'prod-api-5xx', at, reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0' };
const expected = {
  name: 'prod-api-5xx',
  arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:prod-api-5xx',
  state: 'ALARM',
  previousState: 'OK',
  reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0',
  stateChangedAt: '2026-11-27T10:00:00.123Z',
};

describe('normaliseTimestamp', () => {
  it.each([
    ['2026-11-27T10:00:00.000+0000', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27T12:30:00.000+0230', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27T05:00:00.500-0500', '2026-11-27T10:00:00.500Z'],
    ['2026-11-27T10:00:00+00:00', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27T10:00:00Z', '2026-11-27T10:00:00.000Z'],
    ['2026-11-27T10:00:00.1234567+0000', '2026-11-27T10:00:00.123Z'],
  ])('%s → %s', (input, output) => {
    expect(normaliseTimestamp(input)).toBe(output);
  });

  it.each(['', '2026-11-27', '2026-11-27T10:00:00', '27/11/2026 10:00', '2026-13-45T10:00:00Z', 'now'])(
    'rejects %j',
    (input) => {
      expect(normaliseTimestamp(input)).toBeUndefined();
    },
  );
});

describe('parseAlarmEvent: the three shapes of one state change', () => {
  it('the alarm Lambda action (alarmData), with CloudWatch +0000 timestamps', () => {
    const event = alarmActionEvent(fixture);
    expect(event.alarmData.state.timestamp).toBe('2026-11-27T10:00:00.123+0000');
    expect(parseAlarmEvent(event)).toEqual({ via: 'lambda', changes: [expected] });
  });

  it('EventBridge "CloudWatch Alarm State Change" (alarm ARN from resources)', () => {
    expect(parseAlarmEvent(eventBridgeEvent(fixture))).toEqual({ via: 'eventbridge', changes: [expected] });
  });

  it('SNS (Records[].Sns.Message JSON)', () => {
    expect(parseAlarmEvent(snsAlarmEvent(fixture))).toEqual({ via: 'sns', changes: [expected] });
  });

  it('gives the same identity (alarm ARN + state-change time) whichever way it arrives', () => {
    const keys = [alarmActionEvent, eventBridgeEvent, snsAlarmEvent].map((build) =>
      dedupKeyOf(parseAlarmEvent(build(fixture)).changes[0] as never),
    );
    expect(new Set(keys)).toEqual(new Set([`${expected.arn}#2026-11-27T10:00:00.123Z`]));
  });

  it('an SNS message without AlarmArn (older alarms): the ARN is rebuilt from the topic and the account', () => {
    const event = snsAlarmEvent({ ...fixture, arn: alarmArnOf('prod-api-5xx', 'eu-west-1', '123456789012') });
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    const { AlarmArn: _, ...message } = JSON.parse(record.Sns.Message);
    record.Sns.Message = JSON.stringify(message);
    expect(parseAlarmEvent(event).changes[0]?.arn).toBe('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prod-api-5xx');
  });

  it('an SNS event with two alarm notifications gives two changes', () => {
    const one = snsAlarmEvent(fixture);
    const two = snsAlarmEvent({ ...fixture, name: 'staging-api-5xx', state: 'OK', previousState: 'ALARM' });
    const parsed = parseAlarmEvent({ Records: [...one.Records, ...two.Records] });
    expect(parsed.changes.map((c) => [c.name, c.state])).toEqual([
      ['prod-api-5xx', 'ALARM'],
      ['staging-api-5xx', 'OK'],
    ]);
  });

  it('keeps OK and INSUFFICIENT_DATA states (the use case decides to ignore them)', () => {
    const parsed = parseAlarmEvent(alarmActionEvent({ ...fixture, state: 'OK', previousState: 'ALARM' }));
    expect(parsed.changes[0]).toMatchObject({ state: 'OK', previousState: 'ALARM' });
  });
});

describe('parseAlarmEvent: malformed events throw MalformedAlarmEvent saying what is wrong', () => {
  const lambda = () => alarmActionEvent(fixture);
  const cases: [string, unknown, RegExp][] = [
    ['a string', 'ALARM', /not an alarm event/],
    ['null', null, /not an alarm event/],
    ['an unrelated object', { hello: 'world' }, /not an alarm event/],
    ['a missing alarm ARN', { ...lambda(), alarmArn: undefined }, /alarmArn/],
    ['an ARN that is not an alarm', { ...lambda(), alarmArn: 'arn:aws:sns:us-east-1:000000000000:x' }, /alarm ARN/],
    ['an ARN of another alarm', { ...lambda(), alarmArn: alarmArnOf('other') }, /does not name alarm prod-api-5xx/],
    [
      'an unknown state value',
      { ...lambda(), alarmData: { ...lambda().alarmData, state: { ...lambda().alarmData.state, value: 'BROKEN' } } },
      /alarmData\.state\.value/,
    ],
    [
      'a timestamp that is not one',
      {
        ...lambda(),
        alarmData: { ...lambda().alarmData, state: { ...lambda().alarmData.state, timestamp: 'yesterday' } },
      },
      /not a CloudWatch timestamp/,
    ],
    ['EventBridge without the alarm in resources', { ...eventBridgeEvent(fixture), resources: ['x'] }, /resources/],
    ['SNS with no records', { Records: [] }, /Records/],
    [
      'an SNS message that is not JSON',
      { Records: [{ Sns: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'ALARM!' } }] },
      /not JSON/,
    ],
    [
      'an SNS message that is not an alarm',
      { Records: [{ Sns: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: '{"hello":1}' } }] },
      /AlarmName/,
    ],
  ];
  it.each(cases)('%s', (_, event, message) => {
    expect(() => parseAlarmEvent(event)).toThrow(MalformedAlarmEvent);
    expect(() => parseAlarmEvent(event)).toThrow(message);
  });
});

describe('ALARM_RULES (functions/lib/config.ts)', () => {
  it('is empty when unset, and read as alarm name → environment and window', () => {
    expect(readAlarmRules({})).toEqual({});
    const rules = { 'prod-api-5xx': { environment: 'prod', windowMinutes: 60 } };
    expect(readAlarmRules({ ALARM_RULES: JSON.stringify(rules) })).toEqual(rules);
  });

  it.each([
    ['not JSON', '{', /must be JSON/],
    ['a bad environment', '{"a":{"environment":"Prod!","windowMinutes":60}}', /a\.environment/],
    ['a window of 0', '{"a":{"environment":"prod","windowMinutes":0}}', /a\.windowMinutes/],
    ['an unknown member', '{"a":{"environment":"prod","windowMinutes":5,"x":1}}', /ALARM_RULES is invalid/],
  ])('fails the cold start on %s', (_, value, message) => {
    expect(() => readAlarmRules({ ALARM_RULES: value })).toThrow(ConfigError);
    expect(() => readAlarmRules({ ALARM_RULES: value })).toThrow(message);
  });
});

it('cloudwatchTime writes the +0000 form the parser reads back', () => {
  expect(cloudwatchTime(at)).toBe('2026-11-27T10:00:00.123+0000');
  expect(normaliseTimestamp(cloudwatchTime(at))).toBe(at.toISOString());
});
