/**
 * The outbox sweeper's logic over its ports and its composition (the Lambda entry is
 * sweeper-handler.ts), run on a schedule: publishes the notifications the table stream gave
 * up on (see sweepOutbox), so none depends on the stream's 24-hour retention or on someone
 * re-driving the notifier's failure queue by hand. Logs `outbox sweep found unpublished
 * notifications` with `found` whenever it finds any: a metric filter counts it, and an alarm
 * fires on it.
 */
import { sharedConfig, sharedDocuments } from '../adapters/aws.js';
import { DynamoOutboxLedger } from '../adapters/outbox-ledger.js';
import { snsPublishers } from '../adapters/sns-publisher.js';
import { DynamoUnpublishedOutbox } from '../adapters/unpublished-outbox.js';
import type { SweeperPorts } from '../core/ports.js';
import { type SweepOptions, type SweepResult, sweepOutbox } from '../core/use-cases/sweep-outbox.js';
import { readRedeployTargets } from '../lib/config.js';
import { logger } from '../lib/logger.js';

/** The log message the sweeper's metric filter matches. */
export const FOUND_WORK = 'outbox sweep found unpublished notifications';

/**
 * Older than five minutes: the stream delivers in well under a second, and retries a failing
 * batch for minutes; by then an item is one the stream path failed.
 */
export const SWEEP: SweepOptions = { minAgeMs: 5 * 60_000, limit: 100 };

/** The handler over given ports (composeSweeper gives it this process's; tests give theirs). */
export function createSweeper(ports: SweeperPorts, options: SweepOptions = SWEEP) {
  return async (): Promise<SweepResult> => {
    const result = await sweepOutbox(ports, options);
    if (result.found > 0) {
      logger.warn(FOUND_WORK, {
        found: result.found,
        published: result.published,
        alreadyPublished: result.alreadyPublished,
        failed: result.failed,
      });
    }
    return result;
  };
}

/**
 * THE sweeper function: this process's table (the ledger, and the Unpublished index to sweep)
 * and the rollback topic (TOPIC_ARN, required), with the chat topic where CHAT_TOPIC_ARN names one. Local mode runs no sweeper (its stream poller
 * never gives up a record: infra/local/stack.ts), so nothing differs to swap in.
 */
export function composeSweeper() {
  const config = sharedConfig();
  const documents = sharedDocuments();
  return createSweeper({
    ledger: new DynamoOutboxLedger(documents, config.tableName),
    ...snsPublishers(config, readRedeployTargets, 'sweeper'),
    unpublished: new DynamoUnpublishedOutbox(documents, config.tableName),
    now: () => new Date(),
  });
}
