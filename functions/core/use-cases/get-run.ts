import { type AccessContext, authorize } from '../access-policy.js';
import { NotFoundError } from '../errors.js';
import type { Run } from '../run.js';
import type { RunReads } from '../run-ports.js';

/** One rollback run with its steps; an unknown id is NotFoundError; a run the caller may not read is a 403. */
export async function getRun(ports: { runs: RunReads; access?: AccessContext | undefined }, id: string): Promise<Run> {
  const run = await ports.runs.get(id);
  if (!run) throw new NotFoundError(`No rollback run with id ${id}.`);
  authorize(ports, run.environment, 'read');
  return run;
}
