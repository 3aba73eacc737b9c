import { authorize } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import type { ReadPorts } from '../ports.js';
import { planRollback } from '../rollback-target.js';

/**
 * Finds the problematic deployment and the version to roll back to (GET .../rollback-target).
 *
 * 0. Access: the caller must be allowed to `read` the environment (403).
 * 1. The rollback target rule (rollback-target.ts) for a read: `current` is the most recent
 *    record of `imageTag` in the environment, or without a tag the most recent record there,
 *    whatever its status; the target is the rule's. No record, or no target, is NotFoundError.
 */
export async function findRollbackTarget(
  ports: ReadPorts,
  environment: string,
  imageTag: string | undefined,
): Promise<{ current: Deployment; target: Deployment }> {
  authorize(ports, environment, 'read');
  const { current, target } = await planRollback(ports.deployments, {
    environment,
    currentTag: imageTag,
    purpose: 'read',
  });
  return { current, target };
}
