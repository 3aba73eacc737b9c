/**
 * `npm start`: the service on this machine. DynamoDB Local in memory (or in DATA_DIR /
 * `--data DIR`, to keep records between runs), the table, every route on PORT (default
 * 3000), and the notification path: the table's stream → the notifier → NOTIFICATIONS_FILE
 * (default .local/notifications.jsonl, also served at GET /_local/notifications).
 * `npm run alarm` finds this stack through .local/local-stack.json. Ctrl-C stops all of it,
 * the emulator included.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTES } from '../../functions/routes.js';
import { DEFAULT_NOTIFICATIONS_FILE } from './file-publisher.js';
import { startLocalStack } from './stack.js';
import { LOCAL_STACK_FILE, type LocalStackInfo } from './stack-info.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, data: { type: 'string' } },
  allowPositionals: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3000);
const dataDir = values.data ?? process.env.DATA_DIR;
const notificationsFile = process.env.NOTIFICATIONS_FILE ?? DEFAULT_NOTIFICATIONS_FILE;
// An in-memory table starts empty, so its notifications file does too.
if (!dataDir) rmSync(notificationsFile, { force: true });

const stack = await startLocalStack({ port, dataDir, notifications: { file: notificationsFile } });
const info: LocalStackInfo = {
  url: stack.url,
  dynamodbEndpoint: stack.dynamodbEndpoint,
  tableName: stack.tableName,
  notificationsFile: stack.notificationsFile,
};
mkdirSync(dirname(LOCAL_STACK_FILE), { recursive: true });
writeFileSync(LOCAL_STACK_FILE, `${JSON.stringify(info, null, 2)}\n`);
console.log(`platform-rollback is serving on ${stack.url}`);
console.log(`Console: ${stack.url}/ (the web console; docs/CONSOLE.md)`);
console.log(
  `DynamoDB Local: ${stack.dynamodbEndpoint} (${dataDir ? `data kept in ${dataDir}` : 'in memory'}), table ${stack.tableName}`,
);
console.log('Routes:');
for (const route of ROUTES) console.log(`  ${route.method.padEnd(6)} ${route.path}  (${route.summary})`);
console.log(`Notifications: ${notificationsFile} and GET ${stack.url}/_local/notifications`);
console.log('Fire an alarm: npm run alarm -- --environment prod');
console.log('Ctrl-C stops the server, the notifier and DynamoDB Local.');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  rmSync(LOCAL_STACK_FILE, { force: true });
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
