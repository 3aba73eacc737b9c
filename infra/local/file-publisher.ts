/**
 * Local mode's Publisher: instead of SNS, each notification becomes one JSON line in a file
 * (default .local/notifications.jsonl) and one log line, so a developer can watch what the
 * rollback topic would carry. `GET /_local/notifications` on the local server serves the file.
 */
import { mkdirSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LOCAL_DIR } from '../../cli/local-stack.js';
import type { Notification, Publisher } from '../../functions/core/ports.js';

export const DEFAULT_NOTIFICATIONS_FILE = `${LOCAL_DIR}/notifications.jsonl`;

/** One line of the file: what SNS would have been given. */
export interface LocalNotification {
  publishedAt: string;
  subject: string;
  messageAttributes: { eventType: string; environment: string };
  message: Record<string, unknown>;
}

/** Appends each notification to `file` (creating its folder) and logs one line for it. */
export class FilePublisher implements Publisher {
  constructor(
    private readonly file: string,
    private readonly log: (line: string) => void = console.log,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  async publish(notification: Notification): Promise<void> {
    const entry: LocalNotification = {
      publishedAt: new Date().toISOString(),
      subject: notification.subject,
      messageAttributes: { eventType: notification.eventType, environment: notification.environment },
      message: JSON.parse(notification.message),
    };
    await appendFile(this.file, `${JSON.stringify(entry)}\n`);
    this.log(`notification ${notification.eventType}: ${notification.subject}`);
  }
}

/** Every notification in the file, oldest first; none when it does not exist yet. */
export async function readNotifications(file: string): Promise<LocalNotification[]> {
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
    .map((line) => JSON.parse(line) as LocalNotification);
}
