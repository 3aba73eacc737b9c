import { authorize, isScoped, mayAccess } from '../access-policy.js';
import { canTransition, type Deployment, FINISHED_STATUSES } from '../deployment.js';
import { NotFoundError, TransitionConflictError } from '../errors.js';
import type { WritePorts } from '../ports.js';
import type { FinishDeploymentInput } from '../schemas.js';

const isFinished = (status: string): status is (typeof FINISHED_STATUSES)[number] =>
  (FINISHED_STATUSES as readonly string[]).includes(status);

/**
 * Finishes an IN_PROGRESS deployment as DEPLOYED or FAILED.
 *
 * 0. Access: under a policy, reads the record first to learn its environment, and the caller
 *    must be allowed to `record` there (403, nothing written). A record the caller may not
 *    even read is a 404, as an unknown id is: an id tells nobody whether or where it exists.
 * 1. The store applies the change only while the record is IN_PROGRESS (a conditional
 *    write), so two pipelines finishing one deployment cannot both win.
 * 2. An unknown id is NotFoundError; any other current status is TransitionConflictError.
 * 3. A target status no record can be finished with (IN_PROGRESS, ROLLED_BACK) is a
 *    TransitionConflictError too, carrying the record's status: the contract's transition
 *    table says anything else is 409.
 */
export async function finishDeployment(
  ports: WritePorts<'finish'>,
  id: string,
  input: FinishDeploymentInput,
): Promise<Deployment> {
  const to = input.status;
  if (isScoped(ports)) {
    const record = await ports.deployments.get(id);
    if (!record || !mayAccess(ports, record.environment, 'read'))
      throw new NotFoundError(`No deployment with id ${id}.`);
    authorize(ports, record.environment, 'record');
  }
  if (!isFinished(to)) {
    const record = await ports.deployments.get(id);
    if (!record) throw new NotFoundError(`No deployment with id ${id}.`);
    throw new TransitionConflictError(
      record.status,
      `Deployment ${id} is ${record.status}; it cannot become ${to} here.${canTransition(record.status, 'ROLLED_BACK') ? ' A DEPLOYED deployment is rolled back with POST .../tag/{imageTag}/rollback.' : ''}`,
    );
  }
  return ports.deployments.finish(id, { status: to, notes: input.notes, updatedAt: ports.now().toISOString() });
}
