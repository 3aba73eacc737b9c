/**
 * The action's `main` (action.yml): built into dist/action.mjs, which imports the CLI from
 * dist/platform-rollback.mjs, the same file `npx platform-rollback` runs, so the action adds
 * only this entry to what is committed.
 *
 * Run by the runner (`node dist/action.mjs`) it runs the action and exits with its code. Imported
 * (as `@github/local-action` does, which then calls `run()`), it only exports `run`, which sets
 * the process's exit code and returns.
 */
import { startedAs } from './started-as.js';

// Before the CLI (and so the AWS SDK) loads: keep the SDK's Node.js notice out of the log.
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A path the bundler leaves alone: resolved next to dist/action.mjs at run time. */
const CLI = './platform-rollback.mjs';

/** Runs the action with the runner's environment; its exit code becomes the process's. */
export async function run(): Promise<number> {
  const { runAction } = (await import(CLI)) as typeof import('./entry.js');
  const code = await runAction(process.env);
  process.exitCode = code;
  return code;
}

if (startedAs(import.meta.url)) {
  const code = await run();
  process.stdout.write('', () => process.exit(code));
}
