import { authorize } from '../access-policy.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Deployment } from '../deployment.js';
import type { CursorKeyPort, ReadPorts } from '../ports.js';
import type { HistoryQuery } from '../schemas.js';

/**
 * One page of an environment's history, newest first.
 *
 * 0. Access: the caller must be allowed to `read` the environment (403).
 * 1. Decodes the cursor, refusing one whose signature does not check out under
 *    `ports.cursorKey` and one made for another environment or filter.
 * 2. Reads up to `limit` records after it; with a status filter the store keeps reading
 *    until the page is full or the history ends.
 * 3. Hands out a signed cursor when more records may follow (null: the history ends here).
 */
export async function listHistory(
  ports: ReadPorts & CursorKeyPort,
  query: HistoryQuery,
): Promise<{ items: Deployment[]; nextCursor: string | null }> {
  const { environment, status } = query;
  authorize(ports, environment, 'read');
  const after = query.cursor ? decodeCursor(query.cursor, environment, status, ports.cursorKey) : undefined;
  const page = await ports.deployments.page(environment, { limit: query.limit, status, after });
  const last = page.items.at(-1);
  return {
    items: page.items,
    nextCursor: page.hasMore && last ? encodeCursor(environment, status, last, ports.cursorKey) : null,
  };
}
