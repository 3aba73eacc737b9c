/**
 * DynamoDB Local, the real emulator (Java), started from the jar that the npm package
 * `amplify-dynamodb-simulator` ships, so nothing is downloaded at run time. Used by
 * `npm start`, the integration and e2e tests and the benchmark.
 *
 * The emulator alone listens on every interface and answers any Host. It is started through
 * dynamodb-local-guard.java instead, which binds it to 127.0.0.1, answers only its own Host
 * names (web/loopback-guard.ts's ownHosts) and refuses every request with an Origin: nothing
 * on the network and no web page can reach the table. That launcher is compiled once (it
 * needs a JDK's javac); where there is none, the emulator runs on its own, with CORS limited
 * to an allow-list no origin matches, and says so (docs/SECURITY.md).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { alive } from '../../cli/local-stack.js';
import { TABLE_SCHEMA } from '../../functions/adapters/table-schema.js';
import { LOOPBACK, ownHosts } from '../../web/loopback-guard.js';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Whether it runs behind its guard (loopback only, own Host only, no browser): false only without a JDK. */
  guarded: boolean;
  /** The emulator's (Java's) process id. */
  pid: number;
  /** Settles when the emulator has exited, for whatever reason: `stop()`, a crash, a kill. */
  exited: Promise<EmulatorExit>;
  stop(): Promise<void>;
}

/** How the emulator's wrapper ended: its exit code (Java's) or the signal that killed it. */
export interface EmulatorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** DynamoDB Local accepts any credentials; fixed ones keep the SDK from searching for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

const GUARD_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'dynamodb-local-guard.java');
const GUARD_CLASS = 'DynamoDbLocalGuard';
/** CORS for the unguarded emulator: an allow-list of one name no origin can be (origins are `scheme://host[:port]` or `null`). */
const NO_ORIGIN = 'none';

/**
 * Where the guard's compiled class is, compiling it first if needed (once per source and
 * emulator version, into `cache`: node_modules/.cache by default), or why it cannot be
 * compiled (no javac).
 */
export function guardClasses(
  options: { dir?: string; javac?: string; cache?: string } = {},
): { classes: string } | { problem: string } {
  const dir = options.dir ?? emulatorDir();
  const javac = options.javac ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac');
  const cache = options.cache ?? join(dir, '..', '..', '.cache', 'platform-rollback');
  const classpath = `${join(dir, 'DynamoDBLocal.jar')}:${join(dir, 'DynamoDBLocal_lib', '*')}`;
  const version = createHash('sha256')
    .update(readFileSync(GUARD_SOURCE))
    .update(String(statSync(join(dir, 'DynamoDBLocal.jar')).size))
    .digest('hex')
    .slice(0, 16);
  const classes = join(cache, `dynamodb-local-guard-${version}`);
  if (existsSync(join(classes, `${GUARD_CLASS}.class`))) return { classes };
  // Compiled aside, then moved in whole: a concurrent start never sees half a folder.
  const scratch = `${classes}.${process.pid}`;
  try {
    mkdirSync(scratch, { recursive: true });
    execFileSync(javac, ['-d', scratch, '-cp', classpath, GUARD_SOURCE], { stdio: 'pipe' });
    try {
      renameSync(scratch, classes);
    } catch (error) {
      // Another start compiled it first: theirs is as good.
      if (!existsSync(join(classes, `${GUARD_CLASS}.class`))) throw error;
    }
    return { classes };
  } catch (error) {
    const { stderr, message } = error as { stderr?: Buffer; message: string };
    return { problem: stderr?.length ? stderr.toString().trim() : message };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The shell that runs Java. It prints Java's pid, then waits for Java. A reader on our stdin
 * kills Java when that pipe closes, i.e. when the Node.js process that started it is gone,
 * however it died (even SIGKILL): no emulator outlives its parent. When Java dies on its own,
 * the wrapper exits with it, so the parent sees the emulator's death as its child's exit
 * (the earlier wrapper blocked on stdin and hid it, and the parent kept answering 500s).
 */
const WRAPPER = `exec 3<&0
java "$@" </dev/null >/dev/null & pid=$!
echo "$pid"
{ read _ <&3; kill $pid 2>/dev/null; } & reader=$!
exec 3<&-
trap 'kill $pid 2>/dev/null' INT TERM
wait $pid; status=$?
while kill -0 $pid 2>/dev/null; do wait $pid; status=$?; done
kill $reader 2>/dev/null
exit $status`;

/**
 * Starts DynamoDB Local on a free port (in memory, or in `dataDir` to keep data between
 * runs) and waits until it answers. See WRAPPER for how it ends with its parent.
 */
export async function startDynamoDbLocal(options: { port?: number; dataDir?: string } = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const dir = emulatorDir();
  // The emulator runs in its own folder, so a data folder is passed as an absolute path.
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const storage = dataDir ? ['-dbPath', dataDir] : ['-inMemory'];
  const guard = guardClasses({ dir });
  const main =
    'classes' in guard
      ? [
          '-cp',
          `${guard.classes}:${join(dir, 'DynamoDBLocal.jar')}:${join(dir, 'DynamoDBLocal_lib', '*')}`,
          GUARD_CLASS,
          [...ownHosts(port)].join(','),
        ]
      : ['-jar', join(dir, 'DynamoDBLocal.jar')];
  if ('problem' in guard) {
    console.warn(
      `DynamoDB Local runs unguarded, listening on every interface (port ${port}): its loopback launcher needs a JDK's javac (${guard.problem.split('\n')[0]}). See docs/SECURITY.md.`,
    );
  }
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    ...main,
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    NO_ORIGIN,
    '-port',
    String(port),
  ];
  const child: ChildProcess = spawn('sh', ['-c', WRAPPER, 'sh', ...args], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  let stdout = '';
  const pid = new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const line = /^(\d+)\n/.exec(stdout);
      if (line) resolve(Number(line[1]));
    });
    child.once('exit', () => reject(new Error(`DynamoDB Local's wrapper exited before starting Java: ${stderr}`)));
  });
  pid.catch(() => {});
  const exited = new Promise<EmulatorExit>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!signal) return resolve({ code, signal });
      // The wrapper itself was killed: Java may live on, so end it here, and settle only once
      // it is gone, so that whoever awaits this (npm start's exit) does not outlive it.
      pid.then(
        async (javaPid) => {
          try {
            process.kill(javaPid, 'SIGKILL');
          } catch {}
          await gone(javaPid);
          resolve({ code, signal });
        },
        () => resolve({ code, signal }),
      );
    }),
  );
  const endpoint = `http://${LOOPBACK}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const stop = async () => {
    client.destroy();
    child.stdin?.end();
    await exited;
  };
  // Generous: on a loaded machine the JVM alone can take most of a minute to answer.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited at start (is Java 17 installed?): ${stderr}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 120 s: ${stderr}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  return { endpoint, port, guarded: 'classes' in guard, pid: await pid, exited, stop };
}

/** Settles when no process `pid` is left (polled: it is not our child), or after 5 s. */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && alive(pid)) await new Promise((done) => setTimeout(done, 20));
}

/** A client for DynamoDB Local at `endpoint`. */
export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/**
 * Creates the deployments table from the shared schema (the same one the CDK stack uses),
 * with its stream and TTL. Leaves an existing table as it is.
 */
export async function createDeploymentsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, tagIndex, unpublishedIndex } = TABLE_SCHEMA;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          partitionKey,
          sortKey,
          tagIndex.partitionKey,
          tagIndex.sortKey,
          unpublishedIndex.partitionKey,
          unpublishedIndex.sortKey,
        ].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: tagIndex.name,
            KeySchema: [
              { AttributeName: tagIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: tagIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          {
            IndexName: unpublishedIndex.name,
            KeySchema: [
              { AttributeName: unpublishedIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: unpublishedIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...unpublishedIndex.projected] },
          },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SCHEMA.streamView },
      }),
    );
  } catch (error) {
    if (error instanceof ResourceInUseException) return;
    throw error;
  }
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: TABLE_SCHEMA.ttlAttribute },
    }),
  );
}
