import { authorize } from '../access-policy.js';
import { NotFoundError } from '../errors.js';
import { type EnvironmentsPorts, type EnvironmentView, environmentView } from './list-environments.js';

/**
 * One environment (GET .../environments/{environment}): the same item as the list's row.
 *
 * 0. Access: the caller must be allowed to `read` the environment (403).
 * 1. Reads its environment item (one GetItem); none means no record there: NotFoundError (404).
 */
export async function getEnvironment(ports: EnvironmentsPorts, environment: string): Promise<EnvironmentView> {
  authorize(ports, environment, 'read');
  const state = await ports.deployments.environment(environment);
  if (!state) throw new NotFoundError(`No deployment has been recorded in ${environment}.`);
  return environmentView(ports, state);
}
