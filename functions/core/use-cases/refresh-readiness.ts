import { readinessLost, readinessRestored } from '../environment-notifications.js';
import { NotFoundError } from '../errors.js';
import type { ReadinessSummary } from '../guards.js';
import type { OutboxEvent } from '../notifications.js';
import { evaluateReadiness, type Readiness, type ReadinessPorts, summaryOf, transitionOf } from '../readiness.js';

/**
 * Where the environment items keep their readiness summary. Only the `readiness` attribute is
 * written (the item's other attributes belong to the record writes, the runs and the holds).
 */
export interface ReadinessStore {
  /** The environment item's summary: null before the first check, undefined without an item. */
  readinessOf(environment: string): Promise<ReadinessSummary | null | undefined>;
  /**
   * Stores `next` with `events` in the outbox, in one transaction conditional on the stored
   * summary still being `previous`; false (nothing written) when another refresh changed it.
   */
  saveReadiness(
    environment: string,
    next: ReadinessSummary,
    previous: ReadinessSummary | null,
    events: OutboxEvent[],
  ): Promise<boolean>;
}

export interface RefreshPorts extends ReadinessPorts {
  readinessStore: ReadinessStore;
  newId: () => string;
}

/** Attempts against concurrent refreshes of one environment (each lost attempt means another one stored). */
const ATTEMPTS = 5;

export type RefreshOutcome =
  | { kind: 'stored'; readiness: Readiness; published: 'lost' | 'restored' | null }
  | { kind: 'superseded' | 'no-environment' };

/**
 * Refreshes an environment's readiness summary (after a record change there, and hourly).
 *
 * 1. evaluateReadiness, now (a bounded number of reads, whatever the history's length).
 * 2. Reads the stored summary; an environment without an item (no records) is left alone, and
 *    a summary checked later than this evaluation is kept (a newer refresh stored it).
 * 3. Stores the new summary conditional on the one read, with ROLLBACK_READINESS_LOST or
 *    _RESTORED in the same transaction where readiness changed (none on the first evaluation).
 *    A lost condition means a concurrent refresh stored first: read again and decide again, so
 *    of any number of concurrent refreshes one publishes a transition, once.
 */
export async function refreshReadiness(ports: RefreshPorts, environment: string): Promise<RefreshOutcome> {
  let readiness: Readiness;
  try {
    readiness = await evaluateReadiness(ports, environment);
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: 'no-environment' };
    throw error;
  }
  const next = summaryOf(readiness);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const previous = await ports.readinessStore.readinessOf(environment);
    if (previous === undefined) return { kind: 'no-environment' };
    if (previous !== null && previous.checkedAt > next.checkedAt) return { kind: 'superseded' };
    const transition = transitionOf(previous, next);
    const stamp = { eventId: ports.newId(), occurredAt: next.checkedAt };
    const events =
      transition === 'lost'
        ? [
            readinessLost(
              stamp,
              environment,
              next,
              readiness.checks.filter((c) => c.status === 'FAILED'),
            ),
          ]
        : transition === 'restored'
          ? [readinessRestored(stamp, environment, next)]
          : [];
    if (await ports.readinessStore.saveReadiness(environment, next, previous, events)) {
      return { kind: 'stored', readiness, published: transition };
    }
  }
  throw new Error(`readiness of ${environment}: the summary kept changing under ${ATTEMPTS} attempts`);
}
