/**
 * `npm run alarm -- --environment prod [--alarm-name NAME] [--shape lambda|eventbridge|sns]
 * [--state ALARM|OK|INSUFFICIENT_DATA] [--reason TEXT] [--window MINUTES] [--stack FILE]`
 *
 * Fires a realistic alarm event through the real auto-rollback function (composeAutoRollback,
 * as deployed) against the table of a running `npm start` (found through
 * .local/local-stack.json), maps the alarm to the environment the same way the deployed
 * function does (ALARM_RULES), and prints what happened: where the environment has a redeploy
 * target, the rollback run it started, step by step; then the environment's history, and the
 * notifications the running notifier published.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LOCAL_STACK_FILE, type LocalStackInfo } from '../../cli/local-stack.js';
import { AlarmRule } from '../../functions/core/schemas.js';
import type { AlarmShape } from '../../functions/events/alarm-event.js';
import { alarmArnOf, alarmEvent } from './alarm-events.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb-local.js';
import { readNotifications } from './file-publisher.js';

const USAGE = `Usage: npm run alarm -- --environment prod [--alarm-name NAME] [--shape lambda|eventbridge|sns]
       [--state ALARM|OK|INSUFFICIENT_DATA] [--reason TEXT] [--window MINUTES] [--stack FILE]`;

const fail = (message: string): never => {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
};

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      environment: { type: 'string' },
      'alarm-name': { type: 'string' },
      shape: { type: 'string', default: 'lambda' },
      state: { type: 'string', default: 'ALARM' },
      reason: { type: 'string' },
      window: { type: 'string', default: '60' },
      stack: { type: 'string', default: LOCAL_STACK_FILE },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  }));
} catch (error) {
  fail((error as Error).message);
  throw error;
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const environment = String(
  values.environment ?? fail('--environment is required, e.g. npm run alarm -- --environment prod'),
);
const rule = AlarmRule.safeParse({ environment, windowMinutes: Number(values.window) });
if (!rule.success)
  fail(
    `--environment or --window is not valid: ${rule.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
  );
const shape = values.shape as AlarmShape;
if (!['lambda', 'eventbridge', 'sns'].includes(shape)) fail('--shape is one of lambda, eventbridge, sns');
const state = values.state as 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
if (!['ALARM', 'OK', 'INSUFFICIENT_DATA'].includes(state)) fail('--state is one of ALARM, OK, INSUFFICIENT_DATA');
const alarmName = String(values['alarm-name'] ?? `${environment}-api-5xx`);
const stackFile = String(values.stack);

const info: LocalStackInfo = await readFile(stackFile, 'utf8').then(
  (text) => JSON.parse(text),
  () => fail(`No running local stack (${stackFile} not found): start one with npm start, then run this again.`),
);

// The same settings the deployed function reads at init, pointed at the local table.
Object.assign(process.env, {
  TABLE_NAME: info.tableName,
  DYNAMODB_ENDPOINT: info.dynamodbEndpoint,
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  ALARM_RULES: JSON.stringify({ [alarmName]: rule.data }),
  // Rollback runs, where the running stack has redeploy targets: the stack's run host runs them.
  REDEPLOY_TARGETS: info.redeployTargets ?? '',
  RUN_LAUNCHER_URL: info.runLauncherUrl ?? '',
  RUN_LAUNCHER_SECRET: info.runLauncherSecret ?? '',
  // This command prints its own summary; the handler's JSON logs only for problems.
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
});
const { composeAutoRollback } = await import('../../functions/events/auto-rollback.js');
const { TrustingConfirmer } = await import('../../functions/adapters/cloudwatch-confirmer.js');
// The deployed function, composed as its Lambda entry composes it: with the running stack's
// redeploy targets it starts rollback runs, launched on the stack's run host. One part
// differs: in AWS the function confirms each change with CloudWatch before acting; here there
// is no CloudWatch to ask, so this command trusts the event it made itself, and says so below.
const handler = composeAutoRollback({ confirmer: new TrustingConfirmer() });

/** Whether the environment is held now, as the API answers (no records: not held). */
const heldNow = async (): Promise<boolean> => {
  const answer = await fetch(`${info.url}/api/v1/platform/deployments/environments/${encodeURIComponent(environment)}`);
  return answer.ok && ((await answer.json()) as { hold: unknown }).hold !== null;
};
const heldBefore = await heldNow();
const before = info.notificationsFile ? (await readNotifications(info.notificationsFile)).length : 0;
const event = alarmEvent(shape, {
  name: alarmName,
  arn: alarmArnOf(alarmName),
  state,
  at: new Date(),
  ...(typeof values.reason === 'string' ? { reason: values.reason } : {}),
});
console.log(`Alarm ${alarmName} → ${state} (${shape} shape), mapped to ${environment}:`);
const result = await handler(event);
for (const note of result.confirmations) console.log(`  confirmation: ${note}`);
for (const outcome of result.outcomes) {
  if (outcome.kind === 'rolled-back') {
    console.log(
      `  rolled back ${outcome.rolledBack.imageTag} (${outcome.rolledBack.id}); redeploy requested: ${outcome.target.imageTag}`,
    );
  } else if (outcome.kind === 'run-started') console.log(`  rollback run ${outcome.runId} started`);
  else if (outcome.kind === 'skipped') console.log(`  skipped: ${outcome.reason}`);
  else if (outcome.kind === 'duplicate') console.log('  already handled (same alarm state change)');
  else if (outcome.kind === 'unconfirmed') console.log(`  dropped, not confirmed by CloudWatch: ${outcome.reason}`);
  else console.log(`  ignored: ${outcome.reason}`);
}
if (result.dropped) console.log(`  dropped: ${result.dropped}`);

// A rollback run goes on in the running stack: follow it, a line per step as it ends.
const runIds = result.outcomes.flatMap((o) => (o.kind === 'run-started' ? [o.runId] : []));
interface RunView {
  status: string;
  steps: { name: string; status: string; detail: string | null }[];
  redeploy: { deploymentId: string | null } | null;
}
for (const runId of runIds) {
  const printed = new Set<string>();
  for (;;) {
    const run = (await (await fetch(`${info.url}/api/v1/platform/deployments/rollbacks/${runId}`)).json()) as RunView;
    for (const step of run.steps) {
      if (['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(step.status) && !printed.has(step.name)) {
        printed.add(step.name);
        console.log(`  ${step.name.padEnd(9)} ${step.status.padEnd(9)} ${step.detail ?? ''}`);
      }
    }
    if (run.status !== 'RUNNING') {
      console.log(`  run ${runId} ${run.status}; redeploy record ${run.redeploy?.deploymentId ?? '(none)'}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const history = (await (
  await fetch(`${info.url}/api/v1/platform/deployments/history?environment=${encodeURIComponent(environment)}&limit=5`)
).json()) as { items?: { imageTag: string; status: string; rolledBackBy: string | null }[] };
console.log(`\nHistory of ${environment} (newest first):`);
for (const r of history.items ?? []) {
  console.log(`  ${r.imageTag.padEnd(24)} ${r.status.padEnd(12)} ${r.rolledBackBy ?? ''}`);
}

if (info.notificationsFile) {
  // The running stack's notifier polls the stream every 250 ms.
  const deadline = Date.now() + 3_000;
  let fresh = (await readNotifications(info.notificationsFile)).slice(before);
  const expected =
    result.outcomes.filter((o) => o.kind === 'skipped').length +
    2 * result.outcomes.filter((o) => o.kind === 'rolled-back').length +
    // ROLLBACK_STARTED, DEPLOYMENT_ROLLED_BACK, and ROLLBACK_SUCCEEDED or ROLLBACK_FAILED.
    3 * runIds.length +
    // ENVIRONMENT_HELD, where the rollback held the environment.
    (!heldBefore && (await heldNow()) ? 1 : 0);
  while (fresh.length < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    fresh = (await readNotifications(info.notificationsFile)).slice(before);
  }
  console.log(`\nNotifications published (${info.notificationsFile}, also GET ${info.url}/_local/notifications):`);
  for (const n of fresh) console.log(`  ${n.messageAttributes.eventType.padEnd(22)} ${n.subject}`);
  if (fresh.length === 0) console.log('  (none)');
}
