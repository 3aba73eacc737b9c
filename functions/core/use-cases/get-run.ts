import { type AccessContext, mayAccess } from '../access-policy.js';
import { NotFoundError } from '../errors.js';
import type { Run } from '../run.js';
import type { RunReads } from '../run-ports.js';

/**
 * One rollback run with its steps. An unknown id is NotFoundError, and so is a run the caller
 * may not read: the answer is the same, so an id tells nobody whether or where it exists.
 */
export async function getRun(ports: { runs: RunReads; access?: AccessContext | undefined }, id: string): Promise<Run> {
  const run = await ports.runs.get(id);
  if (!run || !mayAccess(ports, run.environment, 'read')) throw new NotFoundError(`No rollback run with id ${id}.`);
  return run;
}
