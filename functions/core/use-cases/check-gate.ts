import { authorize } from '../access-policy.js';
import { type Guard, type Hold, knownBadRecord, type ReadinessSummary } from '../guards.js';
import type { ReadPorts } from '../ports.js';

/** Why the gate says no: a guard, and what it found. */
export interface GateReason {
  guard: Guard | 'readiness';
  detail: string;
}

export interface GateAnswer {
  environment: string;
  imageTag: string;
  allowed: boolean;
  reasons: GateReason[];
  hold: Hold | null;
  readiness: ReadinessSummary | null;
}

/**
 * May `imageTag` go to `environment` now (GET .../environments/{environment}/gate)? The same
 * guards POST .../deployments applies to a forward start, asked before the deploy.
 *
 * 0. Access: the caller must be allowed to `read` the environment (403).
 * 1. Reads the environment item: none (no records) is allowed, there is nothing to guard.
 * 2. A hold is a reason; so is a known-bad tag (a ROLLED_BACK record of it there newer than its
 *    last DEPLOYED one, knownBadRecord); with `requireReady`, so is readiness that is not ready,
 *    or not yet checked (the stored summary is null). Allowed: no reason.
 */
export async function checkGate(
  ports: ReadPorts,
  request: { environment: string; imageTag: string; requireReady: boolean },
): Promise<GateAnswer> {
  const { environment, imageTag } = request;
  authorize(ports, environment, 'read');
  const state = await ports.deployments.environment(environment);
  if (!state) return { environment, imageTag, allowed: true, reasons: [], hold: null, readiness: null };
  const reasons: GateReason[] = [];
  if (state.hold) {
    reasons.push({
      guard: 'hold',
      detail: `${environment} is held since ${state.hold.since} by ${state.hold.by}: ${state.hold.reason}`,
    });
  }
  const bad = await knownBadRecord(ports.deployments.tagRecords(imageTag, environment));
  if (bad) {
    reasons.push({
      guard: 'known-bad',
      detail: `${imageTag} is known bad in ${environment}: ${bad.id} was rolled back${bad.rolledBackAt ? ` at ${bad.rolledBackAt}` : ''} and the tag has not been DEPLOYED there since`,
    });
  }
  if (request.requireReady) {
    const readiness = state.readiness;
    if (!readiness) reasons.push({ guard: 'readiness', detail: `readiness not yet checked in ${environment}` });
    else if (!readiness.ready) {
      reasons.push({
        guard: 'readiness',
        detail: `${environment} is not ready for a rollback (checked ${readiness.checkedAt}): failing ${readiness.failing.join(', ')}`,
      });
    }
  }
  return {
    environment,
    imageTag,
    allowed: reasons.length === 0,
    reasons,
    hold: state.hold,
    readiness: state.readiness,
  };
}
