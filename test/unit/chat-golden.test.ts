import { describe, expect, it } from 'vitest';
import { renderChat } from '../../functions/core/chat-notification.js';
import { EVENT_TYPES } from '../../functions/core/notifications.js';
import { CONTEXT, MESSAGES } from '../support/chat-fixtures.js';
import { goldenFile } from '../support/chat-preview.js';

/**
 * The chat rendering of one message of each event type, committed under test/golden/chat/ for
 * a reviewer to read: a change to the wording shows in the diff. After an intended change,
 * regenerate them with `npx vitest run test/unit/chat-golden.test.ts --update` and read the diff.
 */
describe('chat renderings (golden files)', () => {
  it.each(EVENT_TYPES)('%s reads as its golden file', async (eventType) => {
    await expect(goldenFile(renderChat(MESSAGES[eventType], CONTEXT))).toMatchFileSnapshot(
      `../golden/chat/${eventType}.md`,
    );
  });
});
