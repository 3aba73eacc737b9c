import { type ChatContext, renderChat } from '../chat-notification.js';
import type { RollbackMessage } from '../notifications.js';
import type { Destination, Notification, NotifierPorts, Publisher } from '../ports.js';

/** What became of one destination: published now, published by an earlier delivery, or not (with why). */
export type DestinationOutcome =
  | { kind: 'published'; recorded: boolean }
  | { kind: 'already-published' }
  | { kind: 'failed'; error: unknown };

/** Per destination the item owes: `topic` always, `chat` where there is a chat topic. */
export type PublishOutcome = { topic: DestinationOutcome; chat?: DestinationOutcome };

/**
 * Publishes one outbox item to each destination it owes (the rollback topic; the chat topic,
 * rendered for chat, where there is one), at most once per successful publication to each.
 *
 * 1. Asks the ledger where the item was already published (a redelivered stream record, a
 *    batch retried from an earlier failure, a sweep): those destinations get nothing.
 * 2. Publishes to each destination left, the rollback topic first. A failure is returned for
 *    that destination and the next one is still tried: one destination's outage must not hold
 *    back the other's message. The caller decides what a failure means (the stream notifier
 *    retries the record for the rollback topic; the sweeper tries again next time).
 * 3. Records each publication right after it. A failure to record is reported to
 *    `onRecordFailure` but NOT retried: a retry would publish the message a second time, which
 *    is the very thing the ledger is for. The cost of an unrecorded publication is only that a
 *    rare later delivery publishes it again (subscribers dedup by `eventId`).
 * 4. An item found published everywhere but still in the Unpublished index (its destinations
 *    changed, the chat topic was removed) is taken out of it, so the sweeper stops finding it.
 */
export async function publishNotification(
  ports: NotifierPorts,
  notification: Notification,
  onRecordFailure: (error: unknown, destination: Destination) => void = () => {},
): Promise<PublishOutcome> {
  const { chat } = ports;
  const owed: Destination[] = chat ? ['topic', 'chat'] : ['topic'];
  const entry = await ports.ledger.lookUp(notification.eventId);
  const deliver = async (destination: Destination, publisher: Publisher, send: () => Notification) => {
    if (entry.published.includes(destination)) return { kind: 'already-published' } as const;
    try {
      await publisher.publish(send());
    } catch (error) {
      return { kind: 'failed', error } as const;
    }
    try {
      const at = ports.now().toISOString();
      return {
        kind: 'published',
        recorded: await ports.ledger.markPublished(notification.eventId, destination, at, owed),
      } as const;
    } catch (error) {
      onRecordFailure(error, destination);
      return { kind: 'published', recorded: false } as const;
    }
  };
  const outcome: PublishOutcome = { topic: await deliver('topic', ports.publisher, () => notification) };
  if (chat) outcome.chat = await deliver('chat', chat.publisher, () => chatNotification(notification, chat.context));
  if (entry.pending && owed.every((d) => entry.published.includes(d))) {
    await ports.ledger.settle(notification.eventId, owed);
  }
  return outcome;
}

/** The notification as the chat topic carries it: the same identity and attributes, the message rendered for chat. */
function chatNotification(notification: Notification, context: ChatContext): Notification {
  const message = JSON.parse(notification.message) as RollbackMessage;
  return { ...notification, message: JSON.stringify(renderChat(message, context)) };
}
