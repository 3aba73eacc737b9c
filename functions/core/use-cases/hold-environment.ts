import { authorize } from '../access-policy.js';
import { environmentHeld, environmentReleased } from '../environment-notifications.js';
import { NotFoundError, NotHeldError } from '../errors.js';
import type { Hold } from '../guards.js';
import type { DeploymentReader, HoldStore, ReadPorts } from '../ports.js';
import { type EnvironmentView, environmentView } from './list-environments.js';

/** What holding and releasing need: the reads, the hold writes, new ids, the redeploy kinds (for the item shown). */
export interface HoldPorts extends ReadPorts {
  deployments: DeploymentReader & HoldStore;
  newId: () => string;
  redeployVia: (environment: string) => string | null;
}

export interface HoldRequest {
  environment: string;
  reason: string;
  /** The authenticated caller. */
  by: string;
}

/**
 * Holds an environment by hand (a deploy freeze: POST .../environments/{environment}/hold).
 *
 * 0. Access: the caller must be allowed to `rollback` in the environment (403).
 * 1. Writes the hold (cause `manual`) with ENVIRONMENT_HELD in one transaction, conditional on
 *    the environment having records (404) and no hold (409, the problem carries the hold).
 * 2. Returns the environment item, read back.
 */
export async function holdEnvironment(ports: HoldPorts, request: HoldRequest): Promise<EnvironmentView> {
  authorize(ports, request.environment, 'rollback');
  const since = ports.now().toISOString();
  const hold: Hold = {
    reason: request.reason,
    by: request.by,
    since,
    cause: { kind: 'manual', deploymentId: null, runId: null },
  };
  const event = environmentHeld({ eventId: ports.newId(), occurredAt: since }, request.environment, hold);
  await ports.deployments.putHold(request.environment, hold, event);
  return itemOf(ports, request.environment);
}

/** Attempts against holds and releases that land between the read and the write. */
const ATTEMPTS = 3;

/**
 * Releases an environment's hold (POST .../environments/{environment}/release).
 *
 * 0. Access: the caller must be allowed to `rollback` in the environment (403).
 * 1. Reads the hold: no records is 404, no hold 409.
 * 2. Removes it with ENVIRONMENT_RELEASED (the released hold, the release's reason and by) in
 *    one transaction, conditional on the hold being the one read; another hold or release
 *    landing first means reading again, so of concurrent releases one succeeds and the others
 *    are 409.
 */
export async function releaseEnvironment(ports: HoldPorts, request: HoldRequest): Promise<EnvironmentView> {
  authorize(ports, request.environment, 'rollback');
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const state = await ports.deployments.environment(request.environment);
    if (!state) throw new NotFoundError(`No deployment has been recorded in ${request.environment}.`);
    if (!state.hold) throw new NotHeldError(`${request.environment} is not held: there is nothing to release.`);
    const at = ports.now().toISOString();
    const event = environmentReleased({ eventId: ports.newId(), occurredAt: at }, request.environment, state.hold, {
      reason: request.reason,
      by: request.by,
    });
    if (await ports.deployments.releaseHold(request.environment, state.hold, event)) {
      return itemOf(ports, request.environment);
    }
  }
  throw new Error(`the hold of ${request.environment} kept changing under ${ATTEMPTS} attempts`);
}

async function itemOf(ports: HoldPorts, environment: string): Promise<EnvironmentView> {
  const state = await ports.deployments.environment(environment);
  if (!state) throw new NotFoundError(`No deployment has been recorded in ${environment}.`);
  return environmentView(ports, state);
}
