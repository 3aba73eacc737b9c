/**
 * `npm start`: the service on this machine. DynamoDB Local in memory (or in DATA_DIR /
 * `--data DIR`, to keep records between runs), the table, every route on PORT (default
 * 3000), and the notification path: the table's stream → the notifier → NOTIFICATIONS_FILE
 * (default .local/notifications.jsonl, also served at GET /_local/notifications) and, rendered
 * for chat, CHAT_NOTIFICATIONS_FILE (default .local/chat-notifications.jsonl, also served at
 * GET /_local/chat-notifications).
 * `npm run alarm` finds this stack through .local/local-stack.json. Ctrl-C stops all of it,
 * the emulator included.
 *
 * Nothing outlives its parent, and nothing runs on without its parts: when DynamoDB Local
 * dies this says so once and exits 1 (rather than answering every request with an error);
 * when the process that started this one (npm, tsx) is killed, this one stops the emulator
 * and exits; and a data folder is locked, so a second start on it fails naming the first.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_STACK_FILE, type LocalStackInfo, runningLocalStack } from '../../cli/local-stack.js';
import { ROUTES } from '../../functions/routes.js';
import { DataDirLockedError, lockDataDir } from './data-lock.js';
import { CHAT_NOTIFICATIONS_NAME, DEFAULT_NOTIFICATIONS_FILE } from './file-publisher.js';
import { startLocalStack } from './stack.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    data: { type: 'string' },
    'redeploy-command': { type: 'string' },
    'redeploy-environment': { type: 'string', multiple: true },
    'health-url': { type: 'string' },
  },
  allowPositionals: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3000);
const dataDir = values.data ?? process.env.DATA_DIR;
const notificationsFile = process.env.NOTIFICATIONS_FILE ?? DEFAULT_NOTIFICATIONS_FILE;
const chatNotificationsFile =
  process.env.CHAT_NOTIFICATIONS_FILE ?? join(dirname(notificationsFile), CHAT_NOTIFICATIONS_NAME);
// One `npm start` owns LOCAL_DIR's files: a second one would wipe the first's notifications and
// point `npm run alarm` and the CLI at itself, so it refuses and says how to run beside it.
const running = runningLocalStack();
if (running) {
  console.error(
    `A local stack already runs${running.pid ? ` (pid ${running.pid})` : ''} at ${running.url}, recorded in ${LOCAL_STACK_FILE}. ` +
      'Stop it first (Ctrl-C in its terminal), or start another one beside it with its own files and port: ' +
      'LOCAL_DIR=.local-2 PORT=3001 npm start',
  );
  process.exit(1);
}
// An in-memory table starts empty, so its notifications files do too.
if (!dataDir) for (const file of [notificationsFile, chatNotificationsFile]) rmSync(file, { force: true });

let releaseLock = () => {};
if (dataDir) {
  mkdirSync(dataDir, { recursive: true });
  try {
    releaseLock = lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/**
 * Rollback runs: REDEPLOY_TARGETS (JSON, the deployed functions' setting) as it is, or a
 * `command` target from --redeploy-command / REDEPLOY_COMMAND for --redeploy-environment
 * (default prod), verified with --health-url / HEALTH_URL (default: this server's own
 * /_local/health). The bake is one minute, looked at every 5 s: local mode runs real time.
 */
function localTargets(): Record<string, unknown> | undefined {
  if (process.env.REDEPLOY_TARGETS) return JSON.parse(process.env.REDEPLOY_TARGETS);
  const command = values['redeploy-command'] ?? process.env.REDEPLOY_COMMAND;
  if (!command) return undefined;
  const healthUrl = values['health-url'] ?? process.env.HEALTH_URL ?? `http://localhost:${port}/_local/health`;
  const environments = values['redeploy-environment'] ?? ['prod'];
  return Object.fromEntries(
    environments.map((environment) => [
      environment,
      {
        via: 'command',
        command,
        pollSeconds: 1,
        timeoutMinutes: 10,
        verify: { healthUrl, bakeMinutes: 1, recoverMinutes: 1, pollSeconds: 5 },
      },
    ]),
  );
}
const redeployTargets = localTargets();

const stack = await startLocalStack({
  port,
  dataDir,
  notifications: { file: notificationsFile, chatFile: chatNotificationsFile },
  ...(redeployTargets ? { redeployTargets } : {}),
});
const info: LocalStackInfo = {
  url: stack.url,
  dynamodbEndpoint: stack.dynamodbEndpoint,
  tableName: stack.tableName,
  notificationsFile: stack.notificationsFile,
  pid: process.pid,
  redeployTargets: stack.redeployTargets,
  runLauncherUrl: stack.runLauncherUrl,
  runLauncherSecret: stack.runLauncherSecret,
};
mkdirSync(dirname(LOCAL_STACK_FILE), { recursive: true });
// Readable by this user only, from its first byte: written aside with mode 0600, then moved in
// (a file left by a crash keeps its mode, so it is replaced, not rewritten).
writeFileSync(`${LOCAL_STACK_FILE}.${process.pid}`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
renameSync(`${LOCAL_STACK_FILE}.${process.pid}`, LOCAL_STACK_FILE);
console.log(`platform-rollback is serving on ${stack.url} (pid ${process.pid})`);
console.log(`Console: ${stack.url}/ (the web console; docs/CONSOLE.md)`);
console.log(
  `DynamoDB Local: ${stack.dynamodbEndpoint} (pid ${stack.emulator?.pid}, ${dataDir ? `data kept in ${dataDir}` : 'in memory'}, ${stack.emulator?.guarded ? 'loopback only' : 'UNGUARDED: on every interface, see docs/SECURITY.md'}), table ${stack.tableName}`,
);
console.log('Routes:');
for (const route of ROUTES) console.log(`  ${route.method.padEnd(6)} ${route.path}  (${route.summary})`);
console.log(`The API's description (OpenAPI 3.1): GET ${stack.url}/openapi.json`);
console.log(`Notifications: ${notificationsFile} and GET ${stack.url}/_local/notifications`);
console.log(`  as chat shows them: ${chatNotificationsFile} and GET ${stack.url}/_local/chat-notifications`);
if (redeployTargets) {
  console.log(`Rollback runs (the service redeploys by itself) for: ${Object.keys(redeployTargets).join(', ')}`);
} else {
  console.log('Rollback runs: off (start with --redeploy-command "CMD" to let the service redeploy prod itself)');
}
console.log('Fire an alarm: npm run alarm -- --environment prod');
console.log('Ctrl-C stops the server, the notifier and DynamoDB Local.');

let stopping = false;
const stop = async (why: string, code: number) => {
  if (stopping) return;
  stopping = true;
  (code === 0 ? console.log : console.error)(`\n${why}: stopping`);
  rmSync(LOCAL_STACK_FILE, { force: true });
  await stack.stop();
  releaseLock();
  process.exit(code);
};
process.on('SIGINT', () => void stop('SIGINT', 0));
process.on('SIGTERM', () => void stop('SIGTERM', 0));

// The emulator's death ends local mode: said once, exit 1. The short grace lets a Ctrl-C that
// reached the emulator too (same terminal) be the stop it is, not reported as a crash.
void stack.emulator?.exited.then(({ code, signal }) =>
  setTimeout(
    () =>
      void stop(
        `DynamoDB Local (pid ${stack.emulator?.pid}) exited unexpectedly (${signal ?? `code ${code}`}); local mode cannot serve without it`,
        1,
      ),
    300,
  ),
);

/**
 * The processes that launched this one and that a user may kill (npm, tsx): a SIGKILL to
 * one of them reaches no one else, so this process watches them and leaves with them.
 */
function launchers(): number[] {
  const chain: number[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    let line: string;
    try {
      line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    } catch {
      break;
    }
    const [, parent, args] = /^(\d+)\s+(.*)$/.exec(line) ?? [];
    if (depth > 0 && !/\b(npm|npm-cli\.js|tsx)\b/.test(args ?? '')) break;
    chain.push(pid);
    pid = Number(parent);
  }
  return chain;
}
const watched = launchers();
setInterval(() => {
  const gone = watched.find((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  });
  if (gone !== undefined || (watched.length > 0 && process.ppid !== watched[0])) {
    void stop(`the process that started local mode (pid ${gone ?? watched[0]}) is gone`, 1);
  }
}, 500).unref();
