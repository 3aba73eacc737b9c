import { authorize } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { NotFoundError } from '../errors.js';
import type { ReadPorts } from '../ports.js';

/**
 * Picks what to roll back to, reading an environment's history newest first.
 *
 * The target is the first record older than `current` that is DEPLOYED, carries another
 * image tag, and whose tag has no ROLLED_BACK record newer than it in this environment
 * (such a tag is known bad). Pure over its input so the rule is tested without a store.
 */
export function chooseTarget(history: Iterable<Deployment>, current: Deployment): Deployment | undefined {
  const step = scanner(current);
  for (const record of history) {
    const found = step(record);
    if (found) return found;
  }
  return undefined;
}

/** One step of the scan, shared by the sync and the async (paged) walk. */
function scanner(current: Deployment) {
  const bad = new Set<string>();
  let pastCurrent = false;
  return (record: Deployment): Deployment | undefined => {
    if (
      pastCurrent &&
      record.status === 'DEPLOYED' &&
      record.imageTag !== current.imageTag &&
      !bad.has(record.imageTag)
    ) {
      return record;
    }
    if (record.status === 'ROLLED_BACK') bad.add(record.imageTag);
    if (record.id === current.id) pastCurrent = true;
    return undefined;
  };
}

/**
 * Finds the problematic deployment and the version to roll back to.
 *
 * 0. Access: the caller must be allowed to `read` the environment (403). The automated
 *    rollback calls this with ports that carry no caller: it is exempt.
 * 1. `current` is the most recent record of `imageTag` in the environment, or without a tag
 *    the most recent record there; none is NotFoundError.
 * 2. Walks the history newest first, page by page, stopping at the first acceptable target
 *    (see chooseTarget); none is NotFoundError.
 */
export async function findRollbackTarget(
  ports: ReadPorts,
  environment: string,
  imageTag: string | undefined,
): Promise<{ current: Deployment; target: Deployment }> {
  authorize(ports, environment, 'read');
  const current = imageTag
    ? await ports.deployments.latestOfTag(imageTag, environment)
    : (await ports.deployments.page(environment, { limit: 1 })).items[0];
  if (!current) {
    throw new NotFoundError(
      imageTag ? `No deployment of image tag ${imageTag} in ${environment}.` : `No deployments in ${environment}.`,
    );
  }
  const step = scanner(current);
  for await (const record of ports.deployments.iterate(environment)) {
    const target = step(record);
    if (target) return { current, target };
  }
  throw new NotFoundError(`No earlier DEPLOYED version in ${environment} to roll back ${current.imageTag} to.`);
}
