/**
 * The AlarmConfirmer over CloudWatch: DescribeAlarms for the alarm's current state, then
 * DescribeAlarmHistory for a transition that is no longer current (the alarm went back to OK,
 * or the event arrived late). The client is made once per cold start, and only the
 * auto-rollback function loads this module.
 */
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmConfirmer, AlarmVerdict } from '../core/ports.js';

/**
 * How far apart the event's time and CloudWatch's record of the transition may lie. The three
 * shapes carry the state's own timestamp, so they agree to the millisecond in practice; the
 * slack only absorbs rounding, and a forger gains nothing from it: a real transition into
 * ALARM at that moment is what is being confirmed.
 */
export const CONFIRM_SLACK_MS = 5_000;

interface StateUpdate {
  newState?: { stateValue?: string };
}

export class CloudWatchAlarmConfirmer implements AlarmConfirmer {
  constructor(private readonly client: CloudWatchClient) {}

  async confirm(change: { name: string; arn: string; stateChangedAt: string }): Promise<AlarmVerdict> {
    const at = Date.parse(change.stateChangedAt);
    const { MetricAlarms = [], CompositeAlarms = [] } = await this.client.send(
      new DescribeAlarmsCommand({ AlarmNames: [change.name], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const alarm = [...MetricAlarms, ...CompositeAlarms].find((a) => a.AlarmArn === change.arn);
    if (!alarm) {
      return { confirmed: false, why: `CloudWatch has no alarm ${change.arn} (this account and region)` };
    }
    const since = alarm.StateUpdatedTimestamp?.getTime();
    if (alarm.StateValue === 'ALARM' && since !== undefined && Math.abs(since - at) <= CONFIRM_SLACK_MS) {
      return { confirmed: true, how: `in ALARM since ${alarm.StateUpdatedTimestamp?.toISOString()}` };
    }
    const { AlarmHistoryItems = [] } = await this.client.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: change.name,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        HistoryItemType: 'StateUpdate',
        StartDate: new Date(at - CONFIRM_SLACK_MS),
        EndDate: new Date(at + CONFIRM_SLACK_MS),
        ScanBy: 'TimestampDescending',
      }),
    );
    const transition = AlarmHistoryItems.find((item) => {
      try {
        return (JSON.parse(item.HistoryData ?? '{}') as StateUpdate).newState?.stateValue === 'ALARM';
      } catch {
        return false;
      }
    });
    if (transition) {
      return { confirmed: true, how: `history shows the change into ALARM at ${transition.Timestamp?.toISOString()}` };
    }
    return {
      confirmed: false,
      why: `CloudWatch shows ${change.name} in ${alarm.StateValue} since ${alarm.StateUpdatedTimestamp?.toISOString()}, and no change into ALARM within ${CONFIRM_SLACK_MS / 1000} s of ${change.stateChangedAt}`,
    };
  }
}

/**
 * The confirmer local mode uses: there is no CloudWatch to ask, so it trusts the event, and
 * says so in every verdict (`npm run alarm` prints it). Never used in AWS.
 */
export class TrustingConfirmer implements AlarmConfirmer {
  async confirm(): Promise<AlarmVerdict> {
    return { confirmed: true, how: 'NOT confirmed with CloudWatch: local mode trusts the event' };
  }
}

/** The CloudWatch client of this function, with bounded time like the DynamoDB one. */
export function cloudWatchClient(region: string): CloudWatchClient {
  return new CloudWatchClient({
    region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
