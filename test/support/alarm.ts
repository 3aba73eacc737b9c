import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LocalStackInfo } from '../../cli/local-stack.js';
import type { LocalStack } from '../../infra/local/stack.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/**
 * `npm run alarm -- ...` as a user runs it, against `stack`: what `npm start` writes to
 * .local/local-stack.json is written to `dir`'s own file (mode 0600, as npm start does), and
 * the command is pointed at it with --stack. Resolves with what it printed.
 */
export function alarmCommand(stack: LocalStack, dir: string): (...args: string[]) => Promise<string> {
  const stackFile = path.join(dir, 'local-stack.json');
  const { stop: _, emulator: __, ...info } = stack;
  writeFileSync(stackFile, JSON.stringify(info satisfies LocalStackInfo), { mode: 0o600 });
  return async (...args) => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'infra/local/alarm.ts', '--stack', stackFile, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1' } },
    );
    return stdout;
  };
}
