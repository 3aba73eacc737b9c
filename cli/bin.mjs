#!/usr/bin/env node
// The `platform-rollback` command. Plain JavaScript so it runs straight after `npm ci` with no
// build step: it registers tsx, then loads the TypeScript CLI.
// Keep the AWS SDK's Node.js version notice out of pipeline logs and --json output (both names:
// older SDK releases read the first, newer ones the second).
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2));
// Exit once stdout has drained, so a pipe (e.g. `| jq`) gets the whole JSON object.
process.stdout.write('', () => process.exit(code));
