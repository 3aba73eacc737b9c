/**
 * The auto-rollback function: CloudWatch alarms invoke it (their Lambda action, an
 * EventBridge rule, or an SNS subscription; see alarm-event.ts). A malformed event is logged
 * and dropped: the invocation succeeds, so Lambda's async retries never storm. A failure of
 * the service itself (DynamoDB unreachable) throws, and the retry is safe: the state
 * change's identity is claimed in the same transaction as the rollback.
 */
import { app } from '../adapters/aws.js';
import { startRunApp } from '../adapters/runs.js';
import type { Ports } from '../core/ports.js';
import type { StartRunPorts } from '../core/run-ports.js';
import type { AlarmRule } from '../core/schemas.js';
import { type AutoRollbackOutcome, autoRollback } from '../core/use-cases/auto-rollback.js';
import { logger } from '../lib/logger.js';
import { type AlarmShape, MalformedAlarmEvent, parseAlarmEvent } from './alarm-event.js';

export interface AutoRollbackResult {
  via: AlarmShape | null;
  outcomes: AutoRollbackOutcome[];
  /** Why the event was dropped, when it was malformed. */
  dropped?: string;
}

/** The handler over given ports and rules; `handler` below is it over this function's config. */
export function createAutoRollback(
  ports: Ports,
  rules: Readonly<Record<string, AlarmRule>>,
  runPorts?: Omit<StartRunPorts, keyof Ports>,
) {
  return async (event: unknown): Promise<AutoRollbackResult> => {
    let parsed: ReturnType<typeof parseAlarmEvent>;
    try {
      parsed = parseAlarmEvent(event);
    } catch (error) {
      if (!(error instanceof MalformedAlarmEvent)) throw error;
      logger.error('malformed alarm event dropped', { problem: error.message, event });
      return { via: null, outcomes: [], dropped: error.message };
    }
    const outcomes: AutoRollbackOutcome[] = [];
    for (const change of parsed.changes) {
      const outcome = await autoRollback(ports, change, rules, runPorts);
      log(outcome, parsed.via);
      outcomes.push(outcome);
    }
    return { via: parsed.via, outcomes };
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

const { config, ports } = app();
export const handler = createAutoRollback(ports, config.alarmRules, startRunApp().ports);
