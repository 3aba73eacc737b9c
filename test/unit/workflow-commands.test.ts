import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, workflowCommand } from '../../cli/workflow-commands.js';

describe('workflow command escaping (what the runner requires)', () => {
  it('escapes % first, then CR and LF, in a message', () => {
    expect(escapeData('100%\r\ndone\n')).toBe('100%25%0D%0Adone%0A');
    // Already-escaped text is escaped again, not passed through: %0A stays literal text.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('also escapes : and , in a property value', () => {
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it('keeps a line break in an API answer from ending the command or starting another', () => {
    const line = workflowCommand('error', 'Deploy failed\n::add-mask::secret', {
      title: 'platform-rollback: prod, eu',
    });
    expect(line).toBe('::error title=platform-rollback%3A prod%2C eu::Deploy failed%0A::add-mask::secret\n');
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(workflowCommand('notice', 'ok')).toBe('::notice::ok\n');
  });
});
