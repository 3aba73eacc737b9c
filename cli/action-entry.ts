/**
 * The action's `main` (action.yml): built into dist/action.mjs, which imports the CLI from
 * dist/platform-rollback.mjs, the same file `npx platform-rollback` runs, so the action adds
 * only this entry to what is committed.
 */
// Before the CLI (and so the AWS SDK) loads: keep the SDK's Node.js notice out of the log.
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A path the bundler leaves alone: resolved next to dist/action.mjs at run time. */
const CLI = './platform-rollback.mjs';
const { runAction } = (await import(CLI)) as typeof import('./entry.js');
const code = await runAction(process.env);
process.stdout.write('', () => process.exit(code));
