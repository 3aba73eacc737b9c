/**
 * An outbox item (see toOutboxItem) read back as the notification it carries: from a stream
 * record's image (the notifier) or from the Unpublished index (the sweeper).
 */
import { EVENT_TYPES } from '../core/notifications.js';
import type { Notification } from '../core/ports.js';
import * as z from '../core/zod.js';

const OutboxItem = z.object({
  PK: z.string().check(z.regex(/^OUTBOX#.+$/)),
  entity: z.literal('outbox'),
  eventType: z.enum(EVENT_TYPES),
  environment: z.string().check(z.minLength(1)),
  subject: z.string().check(z.minLength(1), z.maxLength(100)),
  message: z.string().check(z.minLength(2)),
});

/** The notification of an outbox item; throws naming the item when it is malformed. */
export function notificationOfItem(image: Record<string, unknown>): Notification {
  const result = OutboxItem.safeParse(image);
  if (!result.success) throw new Error(`malformed outbox item ${String(image.PK)}: ${result.error.message}`);
  const item = result.data;
  return {
    eventId: item.PK.slice('OUTBOX#'.length),
    eventType: item.eventType,
    environment: item.environment,
    subject: item.subject,
    message: item.message,
  };
}
