import type { Deployment } from '../deployment.js';
import type { Ports } from '../ports.js';
import type { FinishDeploymentInput } from '../schemas.js';

/**
 * Finishes an IN_PROGRESS deployment as DEPLOYED or FAILED.
 *
 * 1. The store applies the change only while the record is IN_PROGRESS (a conditional
 *    write), so two pipelines finishing one deployment cannot both win.
 * 2. An unknown id is NotFoundError; any other current status is TransitionConflictError.
 */
export async function finishDeployment(ports: Ports, id: string, input: FinishDeploymentInput): Promise<Deployment> {
  return ports.deployments.finish(id, {
    status: input.status,
    notes: input.notes,
    updatedAt: ports.now().toISOString(),
  });
}
