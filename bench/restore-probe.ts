/**
 * The time-to-restore probe, run in a process of its own by bench/restore.ts (config is read
 * once per process, so it gets its own table and settings): local mode (startLocalStack, its
 * own DynamoDB Local and run host) with a `command` redeploy target per environment whose
 * command writes the time and exits at once, and no verify signal (the bake is excluded).
 *
 * Each run, one after the other, in an environment of its own: a good and a bad release are
 * recorded through the local API; the bad one's alarm (the Lambda action's shape) is handed to
 * the auto-rollback function, composed as `npm run alarm` composes it; the run is followed
 * until it ends. Three instants per run, all on this machine's clock:
 *   alarm:    just before the event is handed to the handler;
 *   redeploy: the time the command wrote (it starts, writes, exits: its start and its end);
 *   recorded: the record step's end (the redeploy record finished DEPLOYED).
 * Prints one JSON line: `{ runs: [{ toRedeployMs, toRecordedMs, toStepMs, status }] }`, where
 * `toStepMs` (alarm to the redeploy step's start) tells how much of the first span is the
 * run's own steps before it and how much the step's record and the command's start.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASE_PATH } from '../functions/routes.js';
import { alarmArnOf, alarmEvent } from '../infra/local/alarm-events.js';
import { startLocalStack } from '../infra/local/stack.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '25' } } });
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'bench-restore-'));
const environments = Array.from({ length: runs }, (_, i) => `restore-${i}`);
const alarmOf = (environment: string) => `${environment}-api-5xx`;

// What the auto-rollback function reads at init: the alarms and the environments they guard.
process.env.ALARM_RULES = JSON.stringify(
  Object.fromEntries(environments.map((e) => [alarmOf(e), { environment: e, windowMinutes: 60 }])),
);
process.env.RESTORE_DIR = dir;
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

const stack = await startLocalStack({
  tableName: 'bench-restore',
  redeployTargets: Object.fromEntries(
    environments.map((e) => [
      e,
      // GNU date: milliseconds since the epoch; the file is named by the run.
      { via: 'command', command: 'date +%s%3N > "$RESTORE_DIR/$ROLLBACK_RUN_ID"', pollSeconds: 1, timeoutMinutes: 1 },
    ]),
  ),
});

interface RunView {
  status: string;
  steps: { name: string; status: string; startedAt: string | null; endedAt: string | null }[];
}

const results: { toRedeployMs: number; toRecordedMs: number; toStepMs: number; status: string }[] = [];
try {
  const { composeAutoRollback } = await import('../functions/events/auto-rollback.js');
  const { TrustingConfirmer } = await import('../functions/adapters/cloudwatch-confirmer.js');
  const handler = composeAutoRollback({ confirmer: new TrustingConfirmer() });
  for (const environment of environments) {
    for (const imageTag of ['v1.0.0', 'v1.1.0']) {
      const response = await fetch(`${stack.url}${BASE_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ environment, imageTag }),
      });
      if (response.status !== 201) throw new Error(`recording ${imageTag} in ${environment}: ${response.status}`);
    }
    const name = alarmOf(environment);
    const event = alarmEvent('lambda', { name, arn: alarmArnOf(name), state: 'ALARM', at: new Date() });
    const alarm = Date.now();
    const result = await handler(event);
    const runId = result.outcomes.flatMap((o) => (o.kind === 'run-started' ? [o.runId] : []))[0];
    if (!runId) throw new Error(`the alarm of ${environment} started no run: ${JSON.stringify(result.outcomes)}`);
    let run: RunView;
    for (;;) {
      run = (await (await fetch(`${stack.url}${BASE_PATH}/rollbacks/${runId}`)).json()) as RunView;
      if (run.status !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const recorded = run.steps.find((s) => s.name === 'record')?.endedAt;
    if (run.status !== 'SUCCEEDED' || !recorded) throw new Error(`run ${runId} ended ${run.status}`);
    const redeploy = Number(readFileSync(join(dir, runId), 'utf8').trim());
    const step = run.steps.find((s) => s.name === 'redeploy')?.startedAt;
    results.push({
      toRedeployMs: redeploy - alarm,
      toRecordedMs: Date.parse(recorded) - redeploy,
      toStepMs: Date.parse(step ?? '') - alarm,
      status: run.status,
    });
  }
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ runs: results })}\n`);
