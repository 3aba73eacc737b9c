import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Deployment } from '../deployment.js';
import type { Ports } from '../ports.js';
import type { HistoryQuery } from '../schemas.js';

/**
 * One page of an environment's history, newest first.
 *
 * 1. Decodes the cursor, refusing one made for another environment or filter.
 * 2. Reads up to `limit` records after it; with a status filter the store keeps reading
 *    until the page is full or the history ends.
 * 3. Hands out a cursor when more records may follow (null: the history ends here).
 */
export async function listHistory(
  ports: Ports,
  query: HistoryQuery,
): Promise<{ items: Deployment[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor, query.environment, query.status) : undefined;
  const page = await ports.deployments.page(query.environment, { limit: query.limit, status: query.status, after });
  const last = page.items.at(-1);
  return {
    items: page.items,
    nextCursor: page.hasMore && last ? encodeCursor(query.environment, query.status, last) : null,
  };
}
