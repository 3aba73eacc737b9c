import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderChat } from '../../functions/core/chat-notification.js';
import { EVENT_TYPES } from '../../functions/core/notifications.js';
import { CONTEXT, MESSAGES } from '../support/chat-fixtures.js';
import { chatPreview } from '../support/chat-preview.js';

/** docs/NOTIFICATIONS.md shows one chat message of each kind: they must be what the renderer makes. */
const DOC = readFileSync(new URL('../../docs/NOTIFICATIONS.md', import.meta.url), 'utf8');

describe('docs/NOTIFICATIONS.md, chat section', () => {
  it.each(EVENT_TYPES)('shows %s as the renderer renders it', (eventType) => {
    const match = new RegExp(`#### ${eventType}\\n\\n\`\`\`text\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
    expect(match, `a "#### ${eventType}" heading with a text block`).not.toBeNull();
    expect(match?.[1]).toBe(chatPreview(renderChat(MESSAGES[eventType], CONTEXT)));
  });

  it('shows the exact JSON of ROLLBACK_FAILED on the chat topic', () => {
    const match = /for `ROLLBACK_FAILED`, exactly:\n\n```json\n([\s\S]*?)\n```/.exec(DOC);
    expect(JSON.parse(match?.[1] ?? 'null')).toEqual(renderChat(MESSAGES.ROLLBACK_FAILED, CONTEXT));
  });
});
