import { NotFoundError } from '../errors.js';
import type { Run } from '../run.js';
import type { RunStore } from '../run-ports.js';

/** One rollback run with its steps; an unknown id is NotFoundError. */
export async function getRun(ports: { runs: RunStore }, id: string): Promise<Run> {
  const run = await ports.runs.get(id);
  if (!run) throw new NotFoundError(`No rollback run with id ${id}.`);
  return run;
}
