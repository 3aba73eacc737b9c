/**
 * GitHub Actions workflow commands (`::error title=...::message`), with the escaping the runner
 * requires: in the message, `%`, CR and LF become %25, %0D and %0A; in a property value, `:` and
 * `,` also become %3A and %2C. Unescaped, a line break in an API's answer would end the command
 * early and could start another (`::add-mask::`, `::stop-commands::`) from text the action
 * did not write.
 */

/** A message (the text after `::`), escaped. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (`title=...`), escaped. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line, e.g. `workflowCommand('error', 'failed', { title: 'platform-rollback' })`. */
export function workflowCommand(
  command: 'error' | 'warning' | 'notice',
  message: string,
  properties: Record<string, string> = {},
): string {
  const props = Object.entries(properties)
    .map(([name, value]) => `${name}=${escapeProperty(value)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}\n`;
}
