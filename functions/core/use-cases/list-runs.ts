import { type AccessContext, authorize } from '../access-policy.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Run } from '../run.js';
import type { RunReads } from '../run-ports.js';

/** Binds a runs cursor to the runs listing: a history cursor is refused here, and the reverse. */
const RUNS_SCOPE = 'RUNS';

/**
 * One page of an environment's rollback runs, newest first.
 *
 * 1. Decodes the cursor with the history's signed scheme (cursor.ts), scoped to runs, so a
 *    cursor from history, from another environment or altered in any way is a 400.
 * 2. Reads up to `limit` runs after it.
 * 3. Hands out a signed cursor when more may follow (null: the list ends here).
 */
export async function listRuns(
  ports: { runs: RunReads; cursorKey: string; access?: AccessContext | undefined },
  query: { environment: string; limit: number; cursor?: string | undefined },
): Promise<{ items: Run[]; nextCursor: string | null }> {
  const { environment } = query;
  authorize(ports, environment, 'read');
  const after = query.cursor ? decodeCursor(query.cursor, environment, RUNS_SCOPE, ports.cursorKey) : undefined;
  const page = await ports.runs.page(environment, { limit: query.limit, after });
  const last = page.items.at(-1);
  return {
    items: page.items,
    nextCursor:
      page.hasMore && last
        ? encodeCursor(environment, RUNS_SCOPE, { deployedAt: last.startedAt, id: last.id }, ports.cursorKey)
        : null,
  };
}
