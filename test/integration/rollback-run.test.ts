import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { CloudWatchClient, DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Run } from '../../functions/core/run.js';
import type { RunPorts } from '../../functions/core/run-ports.js';
import { autoRollback } from '../../functions/core/use-cases/auto-rollback.js';
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
    expect(state.types).toEqual([
      'DEPLOYMENT_ROLLED_BACK',
      'ENVIRONMENT_HELD',
      'ROLLBACK_STARTED',
      'ROLLBACK_SUCCEEDED',
    ]);
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
    expect(state.types).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ENVIRONMENT_HELD', 'ROLLBACK_FAILED', 'ROLLBACK_STARTED']);
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
    expect(state.types).toEqual(['DEPLOYMENT_ROLLED_BACK', 'ENVIRONMENT_HELD', 'ROLLBACK_FAILED', 'ROLLBACK_STARTED']);
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

/** Ports whose store "crashes" once, right after the side effects of `after` were written. */
function crashingAfter(ports: ReturnType<typeof runPortsFor>, after: string) {
  const state = { crashed: false };
  const crash = () => {
    state.crashed = true;
    throw new Error(`injected crash after ${after}`);
  };
  const runs = ports.runs;
  const wrapped: RunPorts['runs'] = {
    start: (...args) => runs.start(...args),
    get: (id) => runs.get(id),
    replayOf: (key) => runs.replayOf(key),
    activeRun: (environment) => runs.activeRun(environment),
    page: (environment, options) => runs.page(environment, options),
    save: async (run) => {
      await runs.save(run);
      if (state.crashed) return;
      const done = (name: string) => run.steps.find((s) => s.name === name)?.status === 'SUCCEEDED';
      if (after === 'redeploy' ? run.redeploy?.externalId : done(after)) crash();
    },
    finish: async (run, events) => {
      await runs.finish(run, events);
      if (after === 'notify' && !state.crashed) crash();
    },
  };
  return { ports: { ...ports, runs: wrapped, redeployerFor: ports.redeployerFor }, state };
}

describe('a crash after each step, then the step replayed: every side effect exactly once', () => {
  for (const after of ['identify', 'checks', 'mark', 'redeploy', 'record', 'verify', 'notify']) {
    it(`crash after ${after}`, async () => {
      const environment = `crash-${after}`;
      const calls = callLog();
      const base = runPortsFor(table, target(environment, `echo "$IMAGE_TAG" >> ${calls.file}`));
      alarmHistory(`${environment}-5xx`, ['OK']);
      const { v2, run } = await started(environment, base);
      const { ports, state } = crashingAfter(base, after);
      const { result } = await runWorkflow(ports, run);
      expect(state.crashed).toBe(true);
      expect(result.status).toBe('SUCCEEDED');
      expect(calls.lines()).toEqual(['v1.0.0']);
      const tables = await tableState(table, environment);
      expect(tables.records.filter((r) => r.rollbackOf === v2.id)).toEqual([
        expect.objectContaining({ status: 'DEPLOYED' }),
      ]);
      expect(tables.types).toEqual([
        'DEPLOYMENT_ROLLED_BACK',
        'ENVIRONMENT_HELD',
        'ROLLBACK_STARTED',
        'ROLLBACK_SUCCEEDED',
      ]);
      expect((await base.runs.get(run.id))?.status).toBe('SUCCEEDED');
    });
  }
});

describe('starting runs', () => {
  it('two alarms and a POST at once start one run', async () => {
    const environment = 'run-race';
    const ports = runPortsFor(table, target(environment, 'true'));
    await deploy(table, environment, 'v1.0.0');
    const v2 = await deploy(table, environment, 'v2.0.0');
    const rules = {
      [`${environment}-5xx`]: { environment, windowMinutes: 60 },
      [`${environment}-latency`]: { environment, windowMinutes: 60 },
    };
    const alarm = (name: string) => ({
      name,
      arn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
      state: 'ALARM',
      previousState: 'OK',
      reason: 'Threshold Crossed',
      stateChangedAt: new Date().toISOString(),
    });
    const { runs, targets, launcher } = ports;
    const outcomes = await Promise.allSettled([
      autoRollback(ports, alarm(`${environment}-5xx`), rules, { runs, targets, launcher }),
      autoRollback(ports, alarm(`${environment}-latency`), rules, { runs, targets, launcher }),
      startRun(ports, { environment, reason: 'by hand', trigger: 'manual', alarm: null, by: 'ops' }),
    ]);
    expect(ports.launched).toHaveLength(1);
    const state = await tableState(table, environment);
    expect(state.types.filter((t) => t === 'ROLLBACK_STARTED')).toHaveLength(1);
    expect(state.byId(v2.id)?.status).toBe('DEPLOYED');
    const started = outcomes.filter(
      (o) =>
        o.status === 'fulfilled' && ('kind' in o.value ? o.value.kind === 'run-started' : o.value.run !== undefined),
    );
    expect(started).toHaveLength(1);
    expect((await ports.runs.page(environment, { limit: 10 })).items).toHaveLength(1);
  });

  it('refuses to roll back a rollback', async () => {
    const environment = 'run-of-rollback';
    const ports = runPortsFor(table, target(environment, 'true'));
    const v1 = await deploy(table, environment, 'v1.0.0');
    const v2 = await deploy(table, environment, 'v2.0.0');
    await deploy(table, environment, 'v0.9.0', { rollbackOf: v2.id });
    void v1;
    await expect(
      startRun(ports, { environment, reason: 'x', trigger: 'manual', alarm: null, by: 'ops' }),
    ).rejects.toThrow(/itself a rollback/);
    expect(ports.launched).toEqual([]);
  });
});

describe('the callback target', () => {
  function callbackTarget(environment: string) {
    return {
      [environment]: {
        via: 'callback',
        pollSeconds: 30,
        timeoutMinutes: 10,
        verify: { alarms: [`${environment}-5xx`], bakeMinutes: 2, recoverMinutes: 2, pollSeconds: 60 },
      },
    };
  }

  it("the pipeline's record completes the wait; the run creates no record itself", async () => {
    const environment = 'callback-ok';
    const ports = runPortsFor(table, callbackTarget(environment));
    alarmHistory(`${environment}-5xx`, ['OK']);
    const { v1, v2, run } = await started(environment, ports);
    // The pipeline hears ROLLBACK_REQUESTED and records its redeploy while the run waits.
    let recorded = false;
    const redeployerFor = ports.redeployerFor;
    const pipelinePorts = {
      ...ports,
      redeployerFor: (env: string, t: Parameters<typeof redeployerFor>[1]) => {
        const inner = redeployerFor(env, t);
        return {
          via: inner.via,
          start: inner.start.bind(inner),
          check: async (...args: Parameters<typeof inner.check>) => {
            if (!recorded && (await tableState(table, environment)).types.includes('ROLLBACK_REQUESTED')) {
              recorded = true;
              await deploy(table, environment, v1.imageTag, { rollbackOf: v2.id });
            }
            return inner.check(...args);
          },
        };
      },
    };
    const { result } = await runWorkflow(pipelinePorts, run);
    expect(result.status).toBe('SUCCEEDED');
    const state = await tableState(table, environment);
    const redeploys = state.records.filter((r) => r.rollbackOf === v2.id);
    expect(redeploys).toHaveLength(1);
    expect(result.redeploy).toMatchObject({ via: 'callback', deploymentId: redeploys[0]?.id });
    expect(state.types).toEqual([
      'DEPLOYMENT_ROLLED_BACK',
      'ENVIRONMENT_HELD',
      'ROLLBACK_REQUESTED',
      'ROLLBACK_STARTED',
      'ROLLBACK_SUCCEEDED',
    ]);
  });

  it('no record before the timeout fails the run with ROLLBACK_FAILED', async () => {
    const environment = 'callback-timeout';
    const ports = runPortsFor(table, callbackTarget(environment));
    const { run } = await started(environment, ports);
    const { result } = await runWorkflow(ports, run);
    expect(result.status).toBe('FAILED');
    expect(result.failure).toMatchObject({ step: 'redeploy', detail: expect.stringContaining('within 10 minutes') });
    const state = await tableState(table, environment);
    expect(state.types).toEqual([
      'DEPLOYMENT_ROLLED_BACK',
      'ENVIRONMENT_HELD',
      'ROLLBACK_FAILED',
      'ROLLBACK_REQUESTED',
      'ROLLBACK_STARTED',
    ]);
  });
});
