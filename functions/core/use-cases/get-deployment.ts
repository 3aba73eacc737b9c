import { mayAccess } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { NotFoundError } from '../errors.js';
import type { ReadPorts } from '../ports.js';

/**
 * One deployment record by id. An unknown id is NotFoundError, and so is a record the caller
 * may not read: the answer is the same, so an id tells nobody whether or where it exists.
 */
export async function getDeployment(ports: ReadPorts, id: string): Promise<Deployment> {
  const record = await ports.deployments.get(id);
  if (!record || !mayAccess(ports, record.environment, 'read')) throw new NotFoundError(`No deployment with id ${id}.`);
  return record;
}
