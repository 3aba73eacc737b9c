/**
 * `npm start`: the service on this machine. DynamoDB Local in memory (or in DATA_DIR /
 * `--data DIR`, to keep records between runs), the table, and every route on PORT
 * (default 3000). Ctrl-C stops all of it, the emulator included.
 */
import { parseArgs } from 'node:util';
import { ROUTES } from '../../functions/routes.js';
import { startLocalStack } from './stack.js';

const { values } = parseArgs({
  options: { port: { type: 'string' }, data: { type: 'string' } },
  allowPositionals: false,
});
const port = Number(values.port ?? process.env.PORT ?? 3000);
const dataDir = values.data ?? process.env.DATA_DIR;

const stack = await startLocalStack({ port, dataDir });
console.log(`platform-rollback is serving on ${stack.url}`);
console.log(
  `DynamoDB Local: ${stack.dynamodbEndpoint} (${dataDir ? `data kept in ${dataDir}` : 'in memory'}), table ${stack.tableName}`,
);
console.log('Routes:');
for (const route of ROUTES) console.log(`  ${route.method.padEnd(6)} ${route.path}  (${route.summary})`);
console.log('Ctrl-C stops the server and DynamoDB Local.');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
