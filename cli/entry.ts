/**
 * The `platform-rollback` command as one file: `npm run build` bundles this entry, with every
 * dependency, into dist/platform-rollback.mjs, which plain `node` runs (the package's bin, and
 * what the GitHub Action runs). Run as a script it runs the CLI; imported (by the action's
 * entry) it only exports, so both share one copy of the code.
 */

import { main } from './main.js';
import { startedAs } from './started-as.js';

export { runAction } from './action.js';
export { main };

if (startedAs(import.meta.url)) {
  // Keep the AWS SDK's Node.js version notice out of pipeline logs and --json output (both
  // names: older SDK releases read the first, newer ones the second).
  process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING ??= '1';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await main(process.argv.slice(2));
  // Exit once stdout has drained, so a pipe (e.g. `| jq`) gets the whole JSON object.
  process.stdout.write('', () => process.exit(code));
}
