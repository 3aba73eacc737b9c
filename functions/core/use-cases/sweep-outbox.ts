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
  /** Items published now to every destination they still owed. */
  published: string[];
  /** Published meanwhile by the notifier (its ledger mark arrived after the index read). */
  alreadyPublished: string[];
  /** Items that could not be published this time (to one destination or more), with why; the next sweep tries again. */
  failed: { eventId: string | null; error: string }[];
}

/**
 * Publishes the outbox items the table stream did not (its retries gave up, or it lost them).
 *
 * 1. Reads the unpublished items older than `minAgeMs` (the sparse Unpublished index: an item
 *    leaves it when the ledger marks it published), oldest first, at most `limit`.
 * 2. Publishes each through publishNotification, as the notifier does: the ledger is asked
 *    first, so a destination the notifier published to meanwhile gets nothing again, and the
 *    last destination's mark takes the item out of the index.
 * 3. A failure (to any destination) is counted and the sweep goes on with the next item: one
 *    bad item must not hold back the others; the item stays in the index, so the next sweep
 *    tries again, the destinations it still owes only.
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
      const outcomes = Object.entries(await publishNotification(ports, item));
      const failures = outcomes.flatMap(([destination, o]) =>
        o.kind === 'failed' ? [`${destination}: ${messageOf(o.error)}`] : [],
      );
      if (failures.length > 0) result.failed.push({ eventId: item.eventId, error: failures.join('; ') });
      else if (outcomes.some(([, o]) => o.kind === 'published')) result.published.push(item.eventId);
      else result.alreadyPublished.push(item.eventId);
    } catch (error) {
      result.failed.push({ eventId: item.eventId, error: messageOf(error) });
    }
  }
  return result;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
