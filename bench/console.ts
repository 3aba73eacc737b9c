/**
 * `npm run bench:console`: the web console's weight and speed. Prints the bundle's size (raw
 * and gzip) and, with 10,000 records in one environment of local mode, how long each view
 * takes in Debian's Chromium from navigation to rendered (median and worst of several fresh
 * loads), against the budget of one second. The page reads one page of history (50 records),
 * so the time should not grow with the table.
 */
import { availableParallelism, loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { documentClient } from '../functions/adapters/aws.js';
import { LOCAL_REGION } from '../infra/local/dynamodb-local.js';
import { startLocalStack } from '../infra/local/stack.js';
import { consoleBuild } from '../web/assets.js';
import { launchChromium } from '../web/dev/chromium.js';
import { recordScenario } from '../web/dev/scenario.js';
import { median } from './lib/stats.js';
import { putRecords, sampleRecord } from './seed.js';

const RECORDS = 10_000;
const RUNS = 7;
const BUDGET_MS = 1_000;
const HOUR = 3_600_000;

const build = await consoleBuild();
const sizes = [...build].map(([path, file]) => ({
  path,
  raw: Buffer.byteLength(file.body),
  gzip: gzipSync(file.body).length,
}));
console.log('Console bundle (minified):');
for (const s of sizes)
  console.log(`  ${s.path.padEnd(18)} ${String(s.raw).padStart(7)} B  ${String(s.gzip).padStart(6)} B gzip`);
const total = sizes.reduce((t, s) => ({ raw: t.raw + s.raw, gzip: t.gzip + s.gzip }), { raw: 0, gzip: 0 });
console.log(`  ${'total'.padEnd(18)} ${String(total.raw).padStart(7)} B  ${String(total.gzip).padStart(6)} B gzip`);

const stack = await startLocalStack({ console: { pollMs: 600_000 } });
const browser = await launchChromium();
try {
  const start = Date.now() - (RECORDS + 10) * HOUR;
  const records = Array.from({ length: RECORDS }, (_, n) => sampleRecord('prod', n, new Date(start + n * HOUR)));
  const documents = documentClient({ region: LOCAL_REGION, dynamodbEndpoint: stack.dynamodbEndpoint });
  await putRecords(documents, stack.tableName, records);
  // The README's scenario on top, through the API, so the newest records are the usual story.
  await recordScenario(stack.url, { extra: true });
  console.log(`\nLoad time with ${RECORDS.toLocaleString('en')} records in prod (${RUNS} fresh loads each):`);
  const views: Array<[string, string]> = [
    ['now', '#/'],
    ['timeline', '#/env/prod'],
    ['plan', '#/env/staging/plan'],
    ['metrics', '#/env/prod/metrics'],
  ];
  let worstMedian = 0;
  for (const [view, hash] of views) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const began = performance.now();
      await page.goto(`${stack.url}/${hash}`);
      await page.waitForSelector(`main[data-view="${view}"][aria-busy="false"]`);
      times.push(performance.now() - began);
      await context.close();
    }
    const mid = median(times);
    worstMedian = Math.max(worstMedian, mid);
    console.log(
      `  ${view.padEnd(9)} median ${mid.toFixed(0).padStart(5)} ms  worst ${Math.max(...times)
        .toFixed(0)
        .padStart(5)} ms  ${mid < BUDGET_MS ? 'PASS' : 'FAIL'} (budget ${BUDGET_MS} ms)`,
    );
  }
  // Load times are CPU-bound: a busy machine reads slow, so say how busy it was.
  console.log(`Machine: ${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1)} (1 min)`);
  console.log(`\nEvery view's median under ${BUDGET_MS} ms: ${worstMedian < BUDGET_MS ? 'PASS' : 'FAIL'}`);
} finally {
  await browser.close();
  await stack.stop();
}
