/**
 * `npm run bench`: bundle size, cold first call, DynamoDB cost per call, warm latency, the
 * rollback command's start and plan, local API throughput (reads, writes into one environment
 * and spread over many) and the time to restore (a rollback run's own overhead, local mode),
 * side by side in one run, each held to its budget. Prints one table with a
 * PASS / FAIL verdict per budget and writes the same figures to bench/results.json. Exits 0
 * even when a budget fails: it is a report, read by people, not a gate.
 *
 * `--quick` runs a smaller version (10,000 records, fewer runs) for working on the bench
 * itself, and writes bench/out/results.quick.json instead.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { type DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../functions/adapters/aws.js';
import { deploymentStore } from '../functions/adapters/dynamodb/store.js';
import { TABLE_SCHEMA } from '../functions/adapters/table-schema.js';
import { BASE_PATH, ROUTES } from '../functions/routes.js';
import {
  createDeploymentsTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localClient,
  startDynamoDbLocal,
} from '../infra/local/dynamodb-local.js';
import { startLocalStack } from '../infra/local/stack.js';
import { measureBundles } from './bundles.js';
import { measureCapacity } from './capacity.js';
import { measureCli } from './cli.js';
import { measureColdCalls } from './cold-call.js';
import { measureLatency } from './latency.js';
import { OUT, ROOT } from './lib/paths.js';
import { round } from './lib/stats.js';
import { BUDGETS, buildRows, formatTable } from './report.js';
import { measureRestore } from './restore.js';
import { fodder, putRecords, seedHistory } from './seed.js';
import { measureThroughput } from './throughput.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick ?? false;
const SETTINGS = {
  coldRuns: quick ? 3 : 25,
  cliRuns: quick ? 5 : 30,
  smallHistory: 1_000,
  largeHistory: quick ? 10_000 : 100_000,
  /** FAILED records between the current release and its rollback target. */
  gap: 200,
  latencyCalls: quick ? 100 : 1_000,
  latencyWarmup: quick ? 10 : 50,
  connections: [1, 8, 32],
  throughputSeconds: quick ? 1 : 4,
  restoreRuns: quick ? 5 : 25,
};
/** Call indexes of the latency fixtures the cold calls use: a template, a warm-up, one per process. */
const COLD_INDEXES = 2 + SETTINGS.coldRuns * 3 * (ROUTES.length + 1);

/** What a reader of the table needs to know to read it right (details: docs/PERFORMANCE.md). */
const NOTES = [
  `cold call: a fresh node imports the bundle and handles one request against DynamoDB Local (as deployed: no --enable-source-maps); ref = a fresh node importing the same SDK clients and sending the same DynamoDB requests; median of ${SETTINGS.coldRuns} interleaved runs each (order rotates every round), budget a ratio of the two medians.`,
  'bundle: judged at init (index.mjs and the chunks it imports statically: what a cold start reads and compiles) against the reference at init; the whole bundle is a figure.',
  `CLI: wall time of a node process running dist/platform-rollback.mjs (npm run build); plan vs a plain node script sending the same HTTP requests to the local API; median of ${SETTINGS.cliRuns} runs.`,
  `capacity: as DynamoDB Local reports it; records of ~0.7 KB (the contract's example); rollback target walks ${SETTINGS.gap} FAILED records.`,
  'capacity: DynamoDB Local reports 4 WCU per item of a TransactWriteItems (AWS: 2 per KB) and ignores the Idempotency-Key item.',
  'latency: in-process handler vs the same DynamoDB requests sent again by a bare DynamoDBDocumentClient.',
  `restore: local mode (its own DynamoDB Local and run host), a command target that writes the time and exits at once, no verify signal (the bake excluded); ${SETTINGS.restoreRuns} runs one after another, each in its own environment, the first one cold; p50/p99 of each span and of their sum per run.`,
];

const started = performance.now();
const log = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

Object.assign(process.env, {
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
  // ListHistory's handler requires it at init, as in Lambda; any key serves a benchmark.
  CURSOR_KEY: randomBytes(32).toString('base64url'),
});

/**
 * Runs `seed` with the table's stream turned off, then turns it back on: DynamoDB Local
 * writes about twice as fast without a stream, and the stream costs no capacity units, so
 * the measurements (taken with the stream on, as deployed) are the same.
 */
async function withoutStream<T>(raw: DynamoDBClient, tableName: string, seed: () => Promise<T>): Promise<T> {
  await raw.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
  const seeded = await seed();
  await raw.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SCHEMA.streamView },
    }),
  );
  return seeded;
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg().map((l) => round(l, 2)),
  date: new Date().toISOString(),
};

log(`bundling ${quick ? '(quick run)' : ''}`);
const bundles = await measureBundles();

log('starting DynamoDB Local');
const db = await startDynamoDbLocal();
let capacity: Awaited<ReturnType<typeof measureCapacity>>;
let latency: Awaited<ReturnType<typeof measureLatency>>;
let cold: Awaited<ReturnType<typeof measureColdCalls>>;
let cli: Awaited<ReturnType<typeof measureCli>>;
try {
  const raw = localClient(db.endpoint);
  const client = documentClient({ region: LOCAL_REGION, dynamodbEndpoint: db.endpoint });
  const tables = { small: 'bench-small', large: 'bench-large', latency: 'bench-latency' };
  for (const name of Object.values(tables)) await createDeploymentsTable(raw, name);
  const history = { environment: 'prod', gap: SETTINGS.gap, hotTag: 'v9.9.9-hot', others: ['staging'] };
  log(`seeding ${SETTINGS.largeHistory.toLocaleString('en')} records (and their id pointers)`);
  const large = await withoutStream(raw, tables.large, () =>
    seedHistory(client, tables.large, { ...history, size: SETTINGS.largeHistory }),
  );
  log(`seeding ${SETTINGS.smallHistory.toLocaleString('en')} records, and the latency fixtures`);
  const small = await seedHistory(client, tables.small, { ...history, size: SETTINGS.smallHistory });
  const perKind = 2 * (SETTINGS.latencyCalls + SETTINGS.latencyWarmup + COLD_INDEXES);
  const fixtures = {
    history: await seedHistory(client, tables.latency, { ...history, size: SETTINGS.smallHistory, gap: 0 }),
    deployed: fodder('fodder', 'rb', 'DEPLOYED', perKind),
    inProgress: fodder('fodder', 'fin', 'IN_PROGRESS', perKind),
  };
  await putRecords(client, tables.latency, [...fixtures.deployed, ...fixtures.inProgress], 4);
  // The seed writes items itself; check that the store reads them back (id pointer included).
  const readBack = await deploymentStore({ client, tableName: tables.small }).get(small.current.id);
  if (!isDeepStrictEqual(readBack, small.current)) {
    throw new Error('the seeded items no longer match what the store reads: update bench/seed.ts');
  }

  log('capacity per call');
  capacity = await measureCapacity(
    client,
    { tableName: tables.small, history: small },
    { tableName: tables.large, history: large },
  );
  log(`warm latency: ${SETTINGS.latencyCalls} calls per route`);
  // The handlers read this at import (config once per cold start), as in Lambda.
  Object.assign(process.env, { TABLE_NAME: tables.latency, DYNAMODB_ENDPOINT: db.endpoint });
  latency = await measureLatency(fixtures, {
    endpoint: db.endpoint,
    region: LOCAL_REGION,
    calls: SETTINGS.latencyCalls,
    warmup: SETTINGS.latencyWarmup,
  });
  log(
    `cold first call: ${SETTINGS.coldRuns} rounds of ${ROUTES.length + 1} functions, with and without source maps, and their references`,
  );
  cold = await measureColdCalls(fixtures, bundles.functions, {
    runs: SETTINGS.coldRuns,
    firstIndex: SETTINGS.latencyCalls + SETTINGS.latencyWarmup,
    env: {
      PATH: process.env.PATH ?? '',
      TABLE_NAME: tables.latency,
      DYNAMODB_ENDPOINT: db.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      CURSOR_KEY: process.env.CURSOR_KEY,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL,
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  log(`CLI: --help and plan, ${SETTINGS.cliRuns} runs each`);
  const local = await startLocalStack({ dynamodbEndpoint: db.endpoint, tableName: 'bench-cli' });
  try {
    for (const [imageTag, notes] of [
      ['v1.0.0', 'good'],
      ['v1.1.0', 'bad'],
    ]) {
      const response = await fetch(`${local.url}${BASE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ environment: 'cli', imageTag, notes }),
      });
      if (response.status !== 201) throw new Error(`seeding the CLI's environment: ${response.status}`);
    }
    cli = await measureCli(local.url, 'cli', SETTINGS.cliRuns);
  } finally {
    await local.stop();
  }
  client.destroy();
  raw.destroy();
} finally {
  await db.stop();
}

log(`local API throughput: ${SETTINGS.connections.join('/')} connections, ${SETTINGS.throughputSeconds} s each`);
const throughput = await measureThroughput(SETTINGS.connections, SETTINGS.throughputSeconds);

log(`time to restore: ${SETTINGS.restoreRuns} rollback runs in local mode, one after another`);
const restore = await measureRestore(SETTINGS.restoreRuns);

const { rows, checks } = buildRows({ bundles, cold, cli, capacity, latency, throughput, restore });
const failed = checks.filter((c) => !c.pass);
const seconds = round((performance.now() - started) / 1000, 0);
console.log(
  `\nplatform-rollback bench, ${machine.date}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node.js ${machine.node}`,
);
console.log(`(load average at start ${machine.loadAverageAtStart.join(' / ')}; KB = 1,024 bytes)\n`);
console.log(formatTable(rows));
console.log(`\n${NOTES.map((n) => `Note, ${n}`).join('\n')}`);
console.log(
  `\n${checks.length - failed.length} of ${checks.length} budget checks PASS${failed.length ? `, ${failed.length} FAIL:` : '.'}`,
);
for (const c of failed) console.log(`  FAIL ${c.budget} (${c.item}): ${c.value} ${c.atLeast ? '<' : '>'} ${c.limit}`);
console.log(`\nRun time ${seconds} s.`);

const file = quick ? join(OUT, 'results.quick.json') : join(ROOT, 'bench', 'results.json');
const results = {
  machine,
  settings: SETTINGS,
  notes: NOTES,
  runSeconds: seconds,
  budgets: BUDGETS,
  checks,
  table: rows,
  bundles: {
    functions: bundles.functions.map(({ file: _file, ...b }) => ({
      ...b,
      packages: Object.fromEntries(Object.entries(b.packages).slice(0, 12)),
    })),
    references: Object.fromEntries(
      Object.entries(bundles.references).map(([k, { file: _file, ...b }]) => [k, { ...b, packages: undefined }]),
    ),
  },
  cold,
  cli,
  capacity,
  latency,
  throughput,
  restore,
};
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`Figures written to ${file.replace(`${ROOT}/`, '')}.`);
