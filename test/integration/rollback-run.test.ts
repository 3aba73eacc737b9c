import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { CloudWatchClient, DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../functions/core/run.js';
import type { RunPorts } from '../../functions/core/run-ports.js';
import { startRun } from '../../functions/core/use-cases/start-run.js';
import { createRunHandler } from '../../functions/events/rollback-run.js';
import { freshTable } from '../support/dynamodb.js';
import { callLog, deploy, runPortsFor, tableState } from '../support/runs.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;
const cloudwatch = mockClient(CloudWatchClient);

beforeAll(async () => {
  table = await freshTable();
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true });
});
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());
beforeEach(() => cloudwatch.reset());

/** DescribeAlarms answers, one per call, as CloudWatch's API reference shapes them; the last repeats. */
function alarmHistory(name: string, states: StateValue[]) {
  let call = 0;
  cloudwatch.on(DescribeAlarmsCommand).callsFake(() => {
    const state = states[Math.min(call, states.length - 1)];
    call += 1;
    return {
      MetricAlarms: [{ AlarmName: name, StateValue: state, StateReason: `test ${state}` }],
      CompositeAlarms: [],
    };
  });
}

function target(environment: string, command: string, extra: Record<string, unknown> = {}) {
  return {
    [environment]: {
      via: 'command',
      command,
      pollSeconds: 5,
      timeoutMinutes: 5,
      verify: { alarms: [`${environment}-5xx`], bakeMinutes: 5, recoverMinutes: 5, pollSeconds: 60 },
      ...extra,
    },
  };
}

/** Two deployments, v1 then v2 (the bad one), and a run started for the environment. */
async function started(
  environment: string,
  ports: ReturnType<typeof runPortsFor>,
  extra: Record<string, unknown> = {},
) {
  const v1 = await deploy(table, environment, 'v1.0.0');
  const v2 = await deploy(table, environment, 'v2.0.0', extra);
  const { run } = await startRun(ports, {
    environment,
    reason: 'errors after v2',
    trigger: 'manual',
    alarm: null,
    by: 'arn:aws:iam::123456789012:user/ops',
  });
  return { v1, v2, run };
}

async function runWorkflow(ports: RunPorts, run: Run) {
  const runner = new LocalDurableTestRunner<Run>({ handlerFunction: createRunHandler(ports) });
  // performance.now(), not Date.now(): skipTime moves the clock the workflow sees.
  const begun = performance.now();
  const execution = await runner.run({ payload: { run } });
  const result = execution.getResult() as Run;
  return { execution, result, ms: Math.round(performance.now() - begun), stored: await ports.runs.get(run.id) };
}

const statuses = (run: Run | undefined) => Object.fromEntries((run?.steps ?? []).map((s) => [s.name, s.status]));

describe('a whole rollback run through the durable SDK local runner', () => {
  it('succeeds: marks, redeploys once, records DEPLOYED with rollbackOf, verifies, notifies', async () => {
    const environment = 'run-ok';
    const calls = callLog();
    const ports = runPortsFor(
      table,
      target(environment, `echo "$IMAGE_TAG $ENVIRONMENT $ROLLBACK_OF" >> ${calls.file}`),
    );
    alarmHistory(`${environment}-5xx`, ['ALARM', 'OK']);
    const { v1, v2, run } = await started(environment, ports);
    expect(ports.launched.map((r) => r.id)).toEqual([run.id]);

    const { execution, result, stored, ms } = await runWorkflow(ports, run);
    console.info(`whole successful run: ${ms} ms`);
    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(result.status).toBe('SUCCEEDED');
    expect(stored).toEqual(result);
    expect(statuses(stored)).toEqual({
      identify: 'SUCCEEDED',
      checks: 'SUCCEEDED',
      mark: 'SUCCEEDED',
      redeploy: 'SUCCEEDED',
      record: 'SUCCEEDED',
      verify: 'SUCCEEDED',
    });
    expect(calls.lines()).toEqual([`v1.0.0 ${environment} ${v2.id}`]);
    const state = await tableState(table, environment);
    expect(state.byId(v2.id)?.status).toBe('ROLLED_BACK');
    const redeploys = state.records.filter((r) => r.rollbackOf === v2.id);
    expect(redeploys).toEqual([expect.objectContaining({ imageTag: v1.imageTag, status: 'DEPLOYED' })]);
    expect(stored?.redeploy).toMatchObject({ via: 'command', deploymentId: redeploys[0]?.id });
    expect(state.types).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ROLLBACK_STARTED', 'ROLLBACK_SUCCEEDED']);
    expect(await ports.runs.activeRun(environment)).toBeUndefined();
    expect(state.byId(v1.id)?.status).toBe('DEPLOYED');
  });

  it('a failed check (an irreversible migration in between) fails the run with nothing changed', async () => {
    const environment = 'run-check';
    const calls = callLog();
    const ports = runPortsFor(table, target(environment, `echo x >> ${calls.file}`));
    const { v2, run } = await started(environment, ports, {
      migrations: [{ id: '0042_drop_column', reversible: false }],
    });
    const { result } = await runWorkflow(ports, run);
    expect(result.status).toBe('FAILED');
    expect(result.failure).toMatchObject({ step: 'checks', detail: expect.stringContaining('0042_drop_column') });
    expect(statuses(result)).toMatchObject({
      identify: 'SUCCEEDED',
      checks: 'FAILED',
      mark: 'SKIPPED',
      verify: 'SKIPPED',
    });
    const state = await tableState(table, environment);
    expect(state.byId(v2.id)?.status).toBe('DEPLOYED');
    expect(state.records.filter((r) => r.rollbackOf)).toEqual([]);
    expect(calls.lines()).toEqual([]);
    expect(state.types).toEqual(['ROLLBACK_FAILED', 'ROLLBACK_STARTED']);
    expect(state.messages.find((m) => m.eventType === 'ROLLBACK_FAILED')?.failure).toMatchObject({ step: 'checks' });
  });

  it('a failing redeploy records the redeploy FAILED and fails the run', async () => {
    const environment = 'run-redeploy-fails';
    const ports = runPortsFor(table, target(environment, 'echo "no capacity" >&2; exit 3'));
    const { v2, run } = await started(environment, ports);
    const { result } = await runWorkflow(ports, run);
    expect(result.status).toBe('FAILED');
    expect(result.failure).toMatchObject({ step: 'redeploy', detail: expect.stringContaining('exited 3') });
    expect(statuses(result)).toMatchObject({
      mark: 'SUCCEEDED',
      redeploy: 'FAILED',
      record: 'SUCCEEDED',
      verify: 'SKIPPED',
    });
    const state = await tableState(table, environment);
    expect(state.records.filter((r) => r.rollbackOf === v2.id)).toEqual([
      expect.objectContaining({ status: 'FAILED' }),
    ]);
    expect(state.types).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ROLLBACK_FAILED', 'ROLLBACK_STARTED']);
  });

  it('an alarm that stays in ALARM fails verify; the redeploy stays DEPLOYED', async () => {
    const environment = 'run-stays-bad';
    const ports = runPortsFor(table, target(environment, 'true'));
    alarmHistory(`${environment}-5xx`, ['ALARM']);
    const { v2, run } = await started(environment, ports);
    const { result } = await runWorkflow(ports, run);
    expect(result.failure).toMatchObject({
      step: 'verify',
      detail: expect.stringContaining('not healthy within 5 minutes'),
    });
    const state = await tableState(table, environment);
    expect(state.records.filter((r) => r.rollbackOf === v2.id)).toEqual([
      expect.objectContaining({ status: 'DEPLOYED' }),
    ]);
    expect(state.types).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ROLLBACK_FAILED', 'ROLLBACK_STARTED']);
  });

  it('an alarm that flaps back to ALARM during the bake fails verify', async () => {
    const environment = 'run-flaps';
    const ports = runPortsFor(table, target(environment, 'true'));
    alarmHistory(`${environment}-5xx`, ['ALARM', 'OK', 'OK', 'ALARM', 'OK']);
    const { run } = await started(environment, ports);
    const { result } = await runWorkflow(ports, run);
    expect(result.failure).toMatchObject({
      step: 'verify',
      detail: expect.stringContaining('unhealthy again during the bake'),
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNames: [`${environment}-5xx`],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });
});
