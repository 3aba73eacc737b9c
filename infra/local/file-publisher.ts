/**
 * Local mode's Publisher: instead of SNS, each notification becomes one JSON line in a file
 * (default .local/notifications.jsonl) and one log line, so a developer can watch what the
 * rollback topic would carry; the chat topic's renderings go to a file of their own (default
 * .local/chat-notifications.jsonl), each line exactly the message Amazon Q would get.
 * `GET /_local/notifications` and `GET /_local/chat-notifications` on the local server serve them.
 */
import { mkdirSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LOCAL_DIR } from '../../cli/local-stack.js';
import type { Notification, Publisher } from '../../functions/core/ports.js';

export const DEFAULT_NOTIFICATIONS_FILE = `${LOCAL_DIR}/notifications.jsonl`;
/** The chat file's name, beside the notifications file unless CHAT_NOTIFICATIONS_FILE says otherwise. */
export const CHAT_NOTIFICATIONS_NAME = 'chat-notifications.jsonl';

/** One line of the file: what SNS would have been given. */
export interface LocalNotification {
  publishedAt: string;
  subject: string;
  messageAttributes: { eventType: string; environment: string };
  message: Record<string, unknown>;
}

/** One line of the file: what SNS would have been given. */
function envelope(notification: Notification): LocalNotification {
  return {
    publishedAt: new Date().toISOString(),
    subject: notification.subject,
    messageAttributes: { eventType: notification.eventType, environment: notification.environment },
    message: JSON.parse(notification.message),
  };
}

/**
 * Appends each notification to `file` (creating its folder), as `line` makes it (by default
 * the envelope above; for the chat topic, the message itself), and logs one line for it.
 */
export class FilePublisher implements Publisher {
  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void = console.log,
    private readonly line: (notification: Notification) => unknown = envelope,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  async publish(notification: Notification): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(this.line(notification))}\n`);
    this.log(`notification ${notification.eventType}: ${notification.subject}`);
  }
}

/** Every line of a JSON-lines file, oldest first; none when it does not exist yet. */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/** Every notification in the file, oldest first. */
export const readNotifications = (file: string) => readJsonLines<LocalNotification>(file);
