import { authorize } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { NotFoundError } from '../errors.js';
import type { ReadPorts } from '../ports.js';

/** One deployment record by id; an unknown id is NotFoundError; a record the caller may not read is a 403. */
export async function getDeployment(ports: ReadPorts, id: string): Promise<Deployment> {
  const record = await ports.deployments.get(id);
  if (!record) throw new NotFoundError(`No deployment with id ${id}.`);
  authorize(ports, record.environment, 'read');
  return record;
}
