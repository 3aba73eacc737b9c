/**
 * The auto-rollback function: CloudWatch alarms invoke it (their Lambda action, an
 * EventBridge rule, or an SNS subscription; see alarm-event.ts). A malformed event is logged
 * and dropped: the invocation succeeds, so Lambda's async retries never storm. A failure of
 * the service itself (DynamoDB unreachable) throws, and the retry is safe: the state
 * change's identity is claimed in the same transaction as the rollback.
 *
 * The event itself proves nothing: anyone allowed to invoke this function could write one.
 * Before acting, each change is confirmed with CloudWatch (confirm-alarm.ts); one CloudWatch
 * does not confirm is dropped, logged, and counted (metric UnconfirmedAlarmEvents). When
 * CloudWatch cannot be asked, the invocation throws and Lambda retries it (twice, then the
 * failure queue): acting unconfirmed would reopen the forgery, and dropping would lose a
 * real alarm.
 */
import { autoRollbackApp } from '../adapters/aws.js';
import { CloudWatchAlarmConfirmer, cloudWatchClient } from '../adapters/cloudwatch-confirmer.js';
import { runStarterApp } from '../adapters/runs.js';
import type { AlarmConfirmer, Ports } from '../core/ports.js';
import type { StartRunPorts } from '../core/run-ports.js';
import type { AlarmRule } from '../core/schemas.js';
import { type AutoRollbackOutcome, autoRollback } from '../core/use-cases/auto-rollback.js';
import { confirmAlarm } from '../core/use-cases/confirm-alarm.js';
import { readAlarmRules } from '../lib/config.js';
import { logger } from '../lib/logger.js';
import { countMetric } from '../lib/metrics.js';
import { type AlarmShape, MalformedAlarmEvent, parseAlarmEvent } from './alarm-event.js';

/** A change CloudWatch did not confirm: nothing was read or written for it. */
export interface UnconfirmedOutcome {
  kind: 'unconfirmed';
  alarm: string;
  reason: string;
}

export interface AutoRollbackResult {
  via: AlarmShape | null;
  outcomes: (AutoRollbackOutcome | UnconfirmedOutcome)[];
  /** How each confirmed change was confirmed (local mode: that it was not). */
  confirmations: string[];
  /** Why the event was dropped, when it was malformed. */
  dropped?: string;
}

/** The handler over given ports and rules (composeAutoRollback gives it this process's; tests give theirs). */
export function createAutoRollback(
  ports: Ports,
  rules: Readonly<Record<string, AlarmRule>>,
  confirmer: AlarmConfirmer,
  runPorts?: Omit<StartRunPorts, keyof Ports>,
) {
  return async (event: unknown): Promise<AutoRollbackResult> => {
    let parsed: ReturnType<typeof parseAlarmEvent>;
    try {
      parsed = parseAlarmEvent(event);
    } catch (error) {
      if (!(error instanceof MalformedAlarmEvent)) throw error;
      logger.error('malformed alarm event dropped', { problem: error.message, event });
      return { via: null, outcomes: [], confirmations: [], dropped: error.message };
    }
    const outcomes: AutoRollbackResult['outcomes'] = [];
    const confirmations: string[] = [];
    for (const change of parsed.changes) {
      const verdict = await confirmAlarm(confirmer, change, rules);
      if (verdict && !verdict.confirmed) {
        logger.warn('alarm state change not confirmed by CloudWatch: dropped', {
          via: parsed.via,
          alarm: change.name,
          arn: change.arn,
          stateChangedAt: change.stateChangedAt,
          why: verdict.why,
        });
        countMetric('UnconfirmedAlarmEvents', { alarm: change.name });
        outcomes.push({ kind: 'unconfirmed', alarm: change.name, reason: verdict.why });
        continue;
      }
      if (verdict) confirmations.push(`${change.name}: ${verdict.how}`);
      const outcome = await autoRollback(ports, change, rules, runPorts);
      log(outcome, parsed.via);
      outcomes.push(outcome);
    }
    return { via: parsed.via, outcomes, confirmations };
  };
}

function log(outcome: AutoRollbackOutcome, via: AlarmShape) {
  const { kind, ...details } = outcome;
  const summary = {
    via,
    ...details,
    ...('rolledBack' in outcome ? { rolledBack: outcome.rolledBack.id, target: outcome.target.imageTag } : {}),
    ...('current' in outcome ? { current: outcome.current?.id ?? null } : {}),
  };
  if (kind === 'rolled-back') logger.info('alarm rolled back the current deployment', summary);
  else if (kind === 'run-started') logger.info('alarm started a rollback run', summary);
  else if (kind === 'skipped') logger.warn('alarm fired but no rollback was made', summary);
  else if (kind === 'duplicate') logger.info('alarm state change already handled', summary);
  else logger.info('alarm ignored', summary);
}

/** What a laptop swaps in where it truly differs from AWS. */
export interface AutoRollbackParts {
  /**
   * Who confirms each alarm change; default: CloudWatch (the alarm's own history). Local mode
   * has no CloudWatch to ask, so `npm run alarm` trusts the event it made itself.
   */
  confirmer?: AlarmConfirmer;
}

/**
 * THE auto-rollback function: this process's record ports and ALARM_RULES, and the run ports
 * of adapters/runs.ts (so an environment with a redeploy target gets a rollback run, launched
 * as the configuration says: the run function in AWS, the local run host on a laptop). The
 * Lambda entry (auto-rollback-handler.ts) and `npm run alarm` both call it; only `parts` differ.
 */
export function composeAutoRollback(parts: AutoRollbackParts = {}) {
  const { config, ports } = autoRollbackApp();
  const confirmer = parts.confirmer ?? new CloudWatchAlarmConfirmer(cloudWatchClient(config.region));
  return createAutoRollback(ports, readAlarmRules(), confirmer, runStarterApp().ports);
}
