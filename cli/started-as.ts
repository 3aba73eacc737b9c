import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * True when node was started with the module at `moduleUrl` (its `import.meta.url`), directly
 * or through the npx/npm bin link; false when that module was only imported.
 */
export function startedAs(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
