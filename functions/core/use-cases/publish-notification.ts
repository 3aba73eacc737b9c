import type { Notification, NotifierPorts } from '../ports.js';

export type PublishOutcome = { kind: 'published'; recorded: boolean } | { kind: 'already-published' };

/**
 * Publishes one outbox item, at most once per successful publication.
 *
 * 1. Asks the ledger whether the item was already published (a redelivered stream record,
 *    or a batch retried from an earlier failure): if so, publishes nothing.
 * 2. Publishes. A rejection propagates, so the caller reports the record as failed and the
 *    stream delivers it again: a notification is delayed, never dropped.
 * 3. Records the publication. A failure here is logged by the caller but NOT retried: a
 *    retry would publish the message a second time, which is the very thing the ledger is
 *    for. The cost of an unrecorded publication is only that a rare later redelivery of the
 *    same record publishes it again (subscribers dedup by `eventId`).
 */
export async function publishNotification(
  ports: NotifierPorts,
  notification: Notification,
  onRecordFailure: (error: unknown) => void = () => {},
): Promise<PublishOutcome> {
  if (await ports.ledger.isPublished(notification.eventId)) return { kind: 'already-published' };
  await ports.publisher.publish(notification);
  try {
    const recorded = await ports.ledger.markPublished(notification.eventId, ports.now().toISOString());
    return { kind: 'published', recorded };
  } catch (error) {
    onRecordFailure(error);
    return { kind: 'published', recorded: false };
  }
}
