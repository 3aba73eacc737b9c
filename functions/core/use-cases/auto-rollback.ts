import type { AlarmRef, AlarmStateChange } from '../alarm.js';
import type { Deployment } from '../deployment.js';
import {
  ConflictError,
  DeploymentClaimedError,
  DuplicateEventError,
  NothingToRollBackError,
  type RefusalOf,
  RollbackRefusedError,
  RunActiveError,
  TransitionConflictError,
} from '../errors.js';
import { autoRollbackSkipped, rollbackRequested } from '../notifications.js';
import type { Ports } from '../ports.js';
import { chooseRollbackTarget, currentRefusal, storedHistory } from '../rollback-target.js';
import type { StartRunPorts } from '../run-ports.js';
import type { AlarmRule } from '../schemas.js';
import { markRolledBack } from './rollback-deployment.js';
import { startRun } from './start-run.js';

export type AutoRollbackOutcome =
  | { kind: 'ignored'; alarm: string; reason: string }
  | { kind: 'rolled-back'; alarm: string; environment: string; rolledBack: Deployment; target: Deployment }
  | { kind: 'run-started'; alarm: string; environment: string; runId: string }
  | { kind: 'skipped'; alarm: string; environment: string; reason: string; current: Deployment | null }
  | { kind: 'duplicate'; alarm: string; environment: string; dedupKey: string };

/** rollbackReason holds at most what the API accepts as a reason. */
const MAX_REASON = 1024;
/** Re-reads when a deployment lands between reading the current one and its target. */
const MAX_READS = 3;

/** The identity of one state change: the same key however many times and ways it arrives. */
export function dedupKeyOf(change: AlarmStateChange): string {
  return `${change.arn}#${change.stateChangedAt}`;
}

/**
 * Why the current deployment must not be rolled back for this alarm, or null when it may.
 * The rules in order: nothing deployed; the rollback target rule's refusals of a deployment
 * that is acted on (currentRefusal: not DEPLOYED, itself a rollback: no chains of rollbacks
 * from one misattributed alarm); deployed after the alarm fired (a late or redelivered alarm
 * must not undo a fix); deployed longer than the window before the alarm fired (too old to
 * be the likely cause).
 */
export function skipReason(current: Deployment | undefined, change: AlarmStateChange, rule: AlarmRule): string | null {
  if (!current) return `no deployments in ${rule.environment}`;
  const refused = currentRefusal(current, 'act');
  if (refused) return refused.reason;
  const what = `${current.imageTag} (${current.id})`;
  const deployed = Date.parse(current.deployedAt);
  const fired = Date.parse(change.stateChangedAt);
  if (deployed > fired) return `${what} was deployed at ${current.deployedAt}, after the alarm fired`;
  if (fired - deployed > rule.windowMinutes * 60_000) {
    return `${what} was deployed at ${current.deployedAt}, more than ${rule.windowMinutes} minutes before the alarm fired at ${change.stateChangedAt}`;
  }
  return null;
}

/**
 * Acts on one alarm state change.
 *
 * 1. Ignores anything but a transition into ALARM (state ALARM, previous state not ALARM
 *    where known), and alarms the rules do not map to an environment.
 * 2. Reads the environment's current (most recent) deployment and applies skipReason; then
 *    the rollback target rule (rollback-target.ts) for that deployment: a refusal is a skip
 *    too, but a deployment recorded meanwhile is read again (up to MAX_READS times).
 * 3. Rolls back with markRolledBack: the conditional write (status = DEPLOYED), its
 *    DEPLOYMENT_ROLLED_BACK and a ROLLBACK_REQUESTED naming the target, and the claim of the
 *    change's identity (alarm ARN + state-change time), all in one transaction.
 *    Where the environment has a redeploy target (`runPorts.targets`), it starts a rollback
 *    run instead (startRun: the run carries out marking, redeploy, record and verify), with the
 *    change's identity among the run's claims; a deployment that already has a run, or an
 *    environment with a RUNNING run, is a skip.
 * 4. A skip writes AUTO_ROLLBACK_SKIPPED (saying why) under the same claim, so a redelivered
 *    change notifies once. A change already claimed (DuplicateEventError) writes nothing. A
 *    lost race with a manual rollback (TransitionConflictError) is a skip: "already rolled back".
 */
export async function autoRollback(
  ports: Ports,
  change: AlarmStateChange,
  rules: Readonly<Record<string, AlarmRule>>,
  runPorts?: Omit<StartRunPorts, keyof Ports>,
): Promise<AutoRollbackOutcome> {
  const alarm = change.name;
  if (change.state !== 'ALARM') return { kind: 'ignored', alarm, reason: `state ${change.state} is not ALARM` };
  if (change.previousState === 'ALARM') {
    return { kind: 'ignored', alarm, reason: 'the alarm was already in ALARM: not a transition into it' };
  }
  const rule = Object.hasOwn(rules, alarm) ? rules[alarm] : undefined;
  if (!rule) return { kind: 'ignored', alarm, reason: `alarm ${alarm} is not mapped to an environment (ALARM_RULES)` };

  const { environment } = rule;
  const ref: AlarmRef = {
    name: alarm,
    arn: change.arn,
    reason: change.reason,
    stateChangedAt: change.stateChangedAt,
  };
  const dedupKey = dedupKeyOf(change);
  const outcome = { alarm, environment };

  const skip = async (reason: string, current: Deployment | null): Promise<AutoRollbackOutcome> => {
    const stamp = { eventId: ports.newId(), occurredAt: ports.now().toISOString() };
    try {
      await ports.deployments.emit([autoRollbackSkipped(stamp, environment, reason, ref, current)], { dedupKey });
    } catch (error) {
      if (error instanceof DuplicateEventError) return { kind: 'duplicate', ...outcome, dedupKey };
      throw error;
    }
    return { kind: 'skipped', ...outcome, reason, current };
  };

  /** The rollback itself: the conditional write, its notifications and ROLLBACK_REQUESTED, and the change's claim. */
  const rollBack = async (current: Deployment, target: Deployment): Promise<AutoRollbackOutcome> => {
    try {
      const rolledBack = await markRolledBack(ports, current, {
        by: `auto-rollback:${alarm}`,
        reason: change.reason.slice(0, MAX_REASON),
        alarm: ref,
        dedupKey,
        extraEvents: (done) => [
          rollbackRequested(
            { eventId: ports.newId(), occurredAt: done.rolledBackAt ?? done.updatedAt },
            done,
            target,
            ref,
          ),
        ],
      });
      return { kind: 'rolled-back', ...outcome, rolledBack, target };
    } catch (error) {
      if (error instanceof DuplicateEventError) return { kind: 'duplicate', ...outcome, dedupKey };
      if (error instanceof TransitionConflictError) {
        const status = error.currentStatus;
        return skip(
          status === 'ROLLED_BACK'
            ? `${current.imageTag} (${current.id}) is already rolled back (by another rollback while this alarm was handled)`
            : `${current.imageTag} (${current.id}) became ${status} while this alarm was handled`,
          { ...current, status },
        );
      }
      throw error;
    }
  };

  /** A run in its place, where the environment has a redeploy target: the run marks, redeploys, records and verifies. */
  const startItsRun = async (
    current: Deployment,
    targets: Omit<StartRunPorts, keyof Ports>,
  ): Promise<{ outcome: AutoRollbackOutcome } | { refusal: RefusalOf }> => {
    try {
      const { run } = await startRun(
        { ...ports, ...targets },
        {
          environment,
          reason: change.reason.slice(0, MAX_REASON) || `alarm ${alarm}`,
          trigger: 'alarm',
          alarm: ref,
          by: `auto-rollback:${alarm}`,
          currentId: current.id,
          dedupKey,
        },
      );
      return { outcome: { kind: 'run-started', ...outcome, runId: run.id } };
    } catch (error) {
      if (error instanceof DuplicateEventError) return { outcome: { kind: 'duplicate', ...outcome, dedupKey } };
      if (error instanceof NothingToRollBackError || error instanceof RollbackRefusedError) {
        return { refusal: error.refusal };
      }
      if (error instanceof RunActiveError || error instanceof DeploymentClaimedError) {
        return { outcome: await skip(`${error.message} (alarm ${alarm} starts no second run)`, current) };
      }
      if (error instanceof ConflictError) return { outcome: await skip(error.message, current) };
      throw error;
    }
  };

  for (let read = 1; ; read++) {
    const current = (await ports.deployments.page(environment, { limit: 1 })).items[0];
    const reason = skipReason(current, change, rule);
    if (reason || !current) return skip(reason ?? `no deployments in ${environment}`, current ?? null);

    let refusal: RefusalOf;
    if (runPorts && Object.hasOwn(runPorts.targets, environment)) {
      const started = await startItsRun(current, runPorts);
      if ('outcome' in started) return started.outcome;
      refusal = started.refusal;
    } else {
      const answer = await chooseRollbackTarget(storedHistory(ports.deployments, environment), {
        environment,
        purpose: 'act',
        currentId: current.id,
      });
      if (answer.ok) return rollBack(current, answer.target);
      refusal = answer.refusal;
    }
    if (refusal.kind !== 'current-changed') return skip(refusal.reason, current);
    if (read >= MAX_READS) {
      throw new Error(`the current deployment of ${environment} kept changing while alarm ${alarm} was handled`);
    }
  }
}
