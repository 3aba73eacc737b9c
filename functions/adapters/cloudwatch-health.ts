/**
 * The verify step's signal in AWS: the environment's verify alarms, read with CloudWatch
 * DescribeAlarms. Healthy means every alarm exists and is OK (ALARM and INSUFFICIENT_DATA are
 * not OK; an alarm that does not exist is a configuration fault, reported as unhealthy).
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { VerifyConfig } from '../core/redeploy/targets.js';
import type { HealthSignal } from '../core/run-ports.js';

/** DescribeAlarms takes at most 100 names a call (the config allows no more). */
export class CloudWatchHealth implements HealthSignal {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  async check(_environment: string, verify: VerifyConfig): Promise<{ healthy: boolean; detail: string }> {
    const output = await this.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: verify.alarms, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    const states = new Map<string, string>();
    for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
      if (alarm.AlarmName) states.set(alarm.AlarmName, alarm.StateValue ?? 'UNKNOWN');
    }
    const bad = verify.alarms
      .map((name) => ({ name, state: states.get(name) ?? 'MISSING' }))
      .filter((a) => a.state !== 'OK');
    if (bad.length === 0) return { healthy: true, detail: `${verify.alarms.join(', ')} OK` };
    return { healthy: false, detail: bad.map((a) => `${a.name} ${a.state}`).join(', ') };
  }
}
