/**
 * `npm run screenshots`: the console's views as PNGs in docs/ (docs/console-now.png is the one
 * the README shows). Starts local mode with its own DynamoDB Local, records the README's
 * scenario (and the staging and qa environments beside it), and photographs each view in
 * Debian's Chromium at 1280 px wide. `--dynamodb-endpoint URL` uses a running DynamoDB Local
 * (a table of its own) instead of starting one.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../../infra/local/stack.js';
import { launchChromium } from './chromium.js';
import { recordScenario } from './scenario.js';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');

const { values } = parseArgs({ options: { 'dynamodb-endpoint': { type: 'string' } } });
const endpoint = values['dynamodb-endpoint'];
const stack = await startLocalStack({
  console: { pollMs: 600_000 },
  ...(endpoint ? { dynamodbEndpoint: endpoint, tableName: `screenshots-${randomUUID().slice(0, 8)}` } : {}),
});
const browser = await launchChromium();
try {
  const scenario = await recordScenario(stack.url, { extra: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shots: Array<[string, string, string]> = [
    ['now', '#/', 'now'],
    ['timeline', '#/env/prod', 'timeline'],
    ['deployment', '', 'deployment'],
    ['plan', '#/env/staging/plan', 'plan'],
    ['metrics', '#/env/prod/metrics', 'metrics'],
  ];
  for (const [name, hash, view] of shots) {
    if (name === 'deployment') {
      // Through the timeline, as a user gets there (and an API without GET /{id} still shows it).
      await page.goto(`${stack.url}/#/env/prod`);
      await page.waitForSelector('main[data-view="timeline"][aria-busy="false"]');
      await page.click(`tr[data-id="${scenario.bad.id}"] th a`);
    } else {
      await page.goto(`${stack.url}/${hash}`);
    }
    await page.waitForSelector(`main[data-view="${view}"][aria-busy="false"]`);
    // The heading takes focus on navigation (for screen readers); the picture needs no focus ring.
    await page.evaluate('document.activeElement?.blur()');
    const file = join(DOCS, `console-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`wrote ${file}`);
  }
  // The rollback dialog, open.
  await page.goto(`${stack.url}/#/env/staging/plan`);
  await page.waitForSelector('main[data-view="plan"][aria-busy="false"]');
  await page.click('[data-action="open-rollback"]');
  await page.fill('#rollback-reason', 'smoke tests fail on v1.1.0');
  const file = join(DOCS, 'console-rollback-dialog.png');
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
} finally {
  await browser.close();
  await stack.stop();
}
