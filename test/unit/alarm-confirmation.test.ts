import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloudWatchAlarmConfirmer } from '../../functions/adapters/cloudwatch-confirmer.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { alarmArnOf, alarmEvent } from '../../infra/local/alarm-events.js';
import { memoryPorts } from '../support/memory-store.js';

// The handler module builds its (unused here) DynamoDB ports at import, as at a cold start.
process.env.TABLE_NAME ||= 'not-used-by-these-tests';
const { createAutoRollback } = await import('../../functions/events/auto-rollback.js');

const NAME = 'prod-api-5xx';
const ARN = alarmArnOf(NAME);
const AT = new Date('2026-11-27T10:05:00.000Z');
const RULES = { [NAME]: { environment: 'prod', windowMinutes: 60 } };

const cloudWatch = mockClient(CloudWatchClient);
beforeEach(() => cloudWatch.reset());
afterEach(() => vi.restoreAllMocks());

/** DescribeAlarms' answer for one metric alarm, as the API reference documents it. */
const described = (state: string, since: Date, arn = ARN): Partial<DescribeAlarmsCommandOutput> => ({
  MetricAlarms: [{ AlarmName: NAME, AlarmArn: arn, StateValue: state as 'ALARM', StateUpdatedTimestamp: since }],
  CompositeAlarms: [],
});
const historyItem = (newState: string, at: Date) => ({
  AlarmName: NAME,
  AlarmType: 'MetricAlarm' as const,
  HistoryItemType: 'StateUpdate' as const,
  Timestamp: at,
  HistorySummary: `Alarm updated from OK to ${newState}`,
  HistoryData: JSON.stringify({
    version: '1.0',
    oldState: { stateValue: 'OK', stateReason: 'ok' },
    newState: { stateValue: newState, stateReason: 'Threshold Crossed' },
  }),
});

/** A store with two prod deployments, the second made a minute before the alarm. */
async function scene() {
  const { ports, store } = memoryPorts(new Date('2026-11-27T10:00:00.000Z'));
  const input = (imageTag: string) => RecordDeploymentInput.parse({ environment: 'prod', imageTag });
  await recordDeployment(ports, { ...input('v1'), deployedAt: '2026-11-27T09:00:00.000Z' }, { by: 'ci' });
  await recordDeployment(ports, { ...input('v2'), deployedAt: '2026-11-27T10:04:00.000Z' }, { by: 'ci' });
  const handler = createAutoRollback(
    ports,
    RULES,
    new CloudWatchAlarmConfirmer(new CloudWatchClient({ region: 'us-east-1' })),
  );
  return { handler, store };
}

describe('the auto-rollback confirms an alarm with CloudWatch before acting', () => {
  it('acts on a change CloudWatch shows as the current ALARM state, asking for exactly that alarm', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(described('ALARM', AT));
    const { handler, store } = await scene();
    const result = await handler(alarmEvent('lambda', { name: NAME, arn: ARN, state: 'ALARM', at: AT }));
    expect(result.outcomes.map((o) => o.kind)).toEqual(['rolled-back']);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNames: [NAME],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(cloudWatch.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(0);
    expect([...store.records.values()].find((r) => r.imageTag === 'v2')?.status).toBe('ROLLED_BACK');
  });

  it('acts on a change that is no longer current when the history shows it', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(described('OK', new Date(AT.getTime() + 120_000)));
    cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [historyItem('ALARM', AT)] });
    const { handler } = await scene();
    const result = await handler(alarmEvent('eventbridge', { name: NAME, arn: ARN, state: 'ALARM', at: AT }));
    expect(result.outcomes.map((o) => o.kind)).toEqual(['rolled-back']);
    expect(cloudWatch.commandCalls(DescribeAlarmHistoryCommand)[0]?.args[0].input).toEqual({
      AlarmName: NAME,
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      HistoryItemType: 'StateUpdate',
      StartDate: new Date(AT.getTime() - 5_000),
      EndDate: new Date(AT.getTime() + 5_000),
      ScanBy: 'TimestampDescending',
    });
  });

  it.each([
    ['an alarm that is OK with no change into ALARM then', described('OK', new Date('2026-11-20T00:00:00Z')), []],
    ['an alarm in ALARM since another time', described('ALARM', new Date('2026-11-27T08:00:00Z')), []],
    ['a history that shows only a change to OK', described('OK', AT), [historyItem('OK', AT)]],
    [
      'an alarm of that name under another ARN (account)',
      described('ALARM', AT, alarmArnOf(NAME, 'us-east-1', '999999999999')),
      [],
    ],
    ['no such alarm', { MetricAlarms: [], CompositeAlarms: [] }, []],
  ])('drops a forged change: %s, logs and counts it, and writes nothing', async (_, alarms, history) => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(alarms);
    cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: history });
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const { handler, store } = await scene();
    const before = JSON.stringify([...store.records.values()]);
    const result = await handler(alarmEvent('sns', { name: NAME, arn: ARN, state: 'ALARM', at: AT }));
    vi.restoreAllMocks();
    expect(result.outcomes).toEqual([{ kind: 'unconfirmed', alarm: NAME, reason: expect.any(String) }]);
    expect(JSON.stringify([...store.records.values()])).toBe(before);
    expect(store.outbox).toHaveLength(0);
    const metric = lines.map((l) => JSON.parse(l)).find((l) => l._aws);
    expect(metric).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          { Namespace: 'PlatformRollback', Metrics: [{ Name: 'UnconfirmedAlarmEvents', Unit: 'Count' }] },
        ],
      },
      UnconfirmedAlarmEvents: 1,
      alarm: NAME,
    });
  });

  it('throws when CloudWatch cannot be asked, so Lambda retries; nothing is written', async () => {
    cloudWatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const { handler, store } = await scene();
    const before = JSON.stringify([...store.records.values()]);
    await expect(handler(alarmEvent('lambda', { name: NAME, arn: ARN, state: 'ALARM', at: AT }))).rejects.toThrow(
      'Rate exceeded',
    );
    expect(JSON.stringify([...store.records.values()])).toBe(before);
  });

  it('asks nothing for a change it would not act on (OK, an unmapped alarm)', async () => {
    const { handler } = await scene();
    await handler(alarmEvent('lambda', { name: NAME, arn: ARN, state: 'OK', at: AT }));
    await handler(alarmEvent('lambda', { name: 'other', arn: alarmArnOf('other'), state: 'ALARM', at: AT }));
    expect(cloudWatch.calls()).toHaveLength(0);
  });
});
