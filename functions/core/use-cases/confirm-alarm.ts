import type { AlarmStateChange } from '../alarm.js';
import type { AlarmConfirmer, AlarmVerdict } from '../ports.js';
import type { AlarmRule } from '../schemas.js';

/**
 * Whether an alarm state change must be confirmed before autoRollback acts on it, and if so
 * CloudWatch's verdict on it.
 *
 * 1. Only a change autoRollback would act on is confirmed: a transition into ALARM (previous
 *    state not ALARM where known) of an alarm the rules map to an environment. Anything else
 *    changes nothing anyway, so it costs no CloudWatch call (undefined: nothing to confirm).
 * 2. Asks the confirmer (CloudWatch): the alarm exists under the event's ARN and is in ALARM
 *    since that time, or its history shows the transition into ALARM then.
 * 3. A rejection (CloudWatch unreachable) propagates: the event is retried, never acted on
 *    unconfirmed and never silently dropped.
 */
export async function confirmAlarm(
  confirmer: AlarmConfirmer,
  change: AlarmStateChange,
  rules: Readonly<Record<string, AlarmRule>>,
): Promise<AlarmVerdict | undefined> {
  const actionable = change.state === 'ALARM' && change.previousState !== 'ALARM' && Object.hasOwn(rules, change.name);
  if (!actionable) return undefined;
  return confirmer.confirm(change);
}
