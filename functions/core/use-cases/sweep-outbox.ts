import type { SweeperPorts } from '../ports.js';
import { publishNotification } from './publish-notification.js';

export interface SweepOptions {
  /** Only items at least this old: younger ones are still the stream's to deliver. */
  minAgeMs: number;
  /** At most this many items per sweep (the next sweep takes the rest). */
  limit: number;
}

export interface SweepResult {
  /** Unpublished items old enough to sweep: any at all means the stream path failed them. */
  found: number;
  published: string[];
  /** Published meanwhile by the notifier (its ledger mark arrived after the index read). */
  alreadyPublished: string[];
  /** Items that could not be published this time, with why; the next sweep tries again. */
  failed: { eventId: string | null; error: string }[];
}

/**
 * Publishes the outbox items the table stream did not (its retries gave up, or it lost them).
 *
 * 1. Reads the unpublished items older than `minAgeMs` (the sparse Unpublished index: an item
 *    leaves it when the ledger marks it published), oldest first, at most `limit`.
 * 2. Publishes each through publishNotification, as the notifier does: the ledger is asked
 *    first, so an item the notifier published meanwhile is not published again, and the
 *    ledger mark takes the item out of the index.
 * 3. A failure is counted and the sweep goes on with the next item: one bad item must not
 *    hold back the others; the item stays in the index, so the next sweep tries again.
 */
export async function sweepOutbox(ports: SweeperPorts, options: SweepOptions): Promise<SweepResult> {
  const before = new Date(ports.now().getTime() - options.minAgeMs).toISOString();
  const items = await ports.unpublished.olderThan(before, options.limit);
  const result: SweepResult = { found: items.length, published: [], alreadyPublished: [], failed: [] };
  for (const item of items) {
    if ('malformed' in item) {
      result.failed.push({ eventId: null, error: item.malformed });
      continue;
    }
    try {
      const outcome = await publishNotification(ports, item);
      (outcome.kind === 'published' ? result.published : result.alreadyPublished).push(item.eventId);
    } catch (error) {
      result.failed.push({ eventId: item.eventId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}
