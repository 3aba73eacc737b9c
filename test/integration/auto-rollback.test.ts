import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromItem } from '../../functions/adapters/dynamodb/items.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import type { AutoRollbackResult } from '../../functions/events/auto-rollback.js';
import { type AlarmFixture, alarmActionEvent, alarmArnOf, alarmEvent } from '../../infra/local/alarm-events.js';
import { freshTable } from '../support/dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;
let handler: (event: unknown) => Promise<AutoRollbackResult>;

const SHAPES = ['lambda', 'eventbridge', 'sns'] as const;
const MINUTE = 60_000;
/** One alarm per environment, so each test works in an environment of its own. */
const ENVIRONMENTS = [
  'shape-lambda',
  'shape-eventbridge',
  'shape-sns',
  'no-deploys',
  'too-old',
  'not-deployed',
  'already-rolled',
  'is-rollback',
  'no-target',
  'after-alarm',
  'states',
  'malformed',
  'race-0',
  'race-1',
  'race-2',
  'race-3',
  'redelivered-skip',
];
const alarmOf = (environment: string) => `${environment}-5xx`;

beforeAll(async () => {
  table = await freshTable();
  // The handler module reads its configuration at import, as it does at a cold start.
  process.env.TABLE_NAME = table.tableName;
  process.env.ALARM_RULES = JSON.stringify(
    Object.fromEntries(ENVIRONMENTS.map((environment) => [alarmOf(environment), { environment, windowMinutes: 60 }])),
  );
  // CloudWatch has no local endpoint. These tests are about what a confirmed change does, so
  // CloudWatch confirms every one the way its API answers: the alarm exists under the event's
  // ARN, and its history holds the change into ALARM (test/unit/alarm-confirmation.test.ts
  // covers the refusals).
  const cloudWatch = mockClient(CloudWatchClient);
  cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({
    MetricAlarms: input.AlarmNames.map((name) => ({ AlarmName: name, AlarmArn: alarmArnOf(name), StateValue: 'OK' })),
  }));
  cloudWatch.on(DescribeAlarmHistoryCommand).callsFake((input: { AlarmName: string; StartDate: Date }) => ({
    AlarmHistoryItems: [
      {
        AlarmName: input.AlarmName,
        AlarmType: 'MetricAlarm',
        HistoryItemType: 'StateUpdate',
        Timestamp: new Date(input.StartDate.getTime() + 5_000),
        HistoryData: JSON.stringify({ version: '1.0', newState: { stateValue: 'ALARM' } }),
      },
    ],
  }));
  ({ handler } = await import('../../functions/events/auto-rollback-handler.js'));
});

async function deploy(environment: string, imageTag: string, extra: Record<string, unknown> = {}) {
  const input = RecordDeploymentInput.parse({ environment, imageTag, ...extra });
  return (await recordDeployment(table.ports, input, { by: 'arn:aws:iam::123456789012:role/ci' })).record;
}

/** Two deployments, v1 then v2, v2 `ago` ms before now. */
async function twoDeployments(environment: string, ago = MINUTE) {
  const v1 = await deploy(environment, 'v1.0.0', {
    deployedAt: new Date(Date.now() - ago - 10 * MINUTE).toISOString(),
  });
  const v2 = await deploy(environment, 'v2.0.0', { deployedAt: new Date(Date.now() - ago).toISOString() });
  return { v1, v2 };
}

const fixture = (environment: string, extra: Partial<AlarmFixture> = {}): AlarmFixture => ({
  name: alarmOf(environment),
  at: new Date(),
  reason: 'Threshold Crossed: 5xx above 5 for 1 minute',
  ...extra,
});

/** Everything the table holds for an environment: its records and its outbox messages. */
async function stateOf(environment: string) {
  const items =
    (
      await table.client.send(
        new ScanCommand({
          TableName: table.tableName,
          FilterExpression: 'environment = :env AND entity IN (:d, :o)',
          ExpressionAttributeValues: { ':env': environment, ':d': 'deployment', ':o': 'outbox' },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const records = items.filter((i) => i.entity === 'deployment').map(fromItem);
  // biome-ignore lint/suspicious/noExplicitAny: message bodies are read as plain JSON
  const messages = items.filter((i) => i.entity === 'outbox').map((i) => JSON.parse(i.message) as any);
  const ofType = (type: string) => messages.filter((m) => m.eventType === type);
  return {
    records,
    byId: (id: string) => records.find((r) => r.id === id),
    rolledBack: records.filter((r) => r.status === 'ROLLED_BACK'),
    messages,
    ofType,
  };
}

describe('each shape an alarm reaches Lambda in rolls back the current deployment', () => {
  for (const shape of SHAPES) {
    it(`${shape}`, async () => {
      const environment = `shape-${shape}`;
      const { v1, v2 } = await twoDeployments(environment);
      const at = new Date();
      const result = await handler(alarmEvent(shape, fixture(environment, { at })));

      expect(result).toMatchObject({ via: shape, outcomes: [{ kind: 'rolled-back', environment }] });
      const state = await stateOf(environment);
      const rolledBack = state.byId(v2.id);
      expect(rolledBack).toMatchObject({
        status: 'ROLLED_BACK',
        rolledBackBy: `auto-rollback:${alarmOf(environment)}`,
        rollbackReason: 'Threshold Crossed: 5xx above 5 for 1 minute',
      });
      expect(state.byId(v1.id)?.status).toBe('DEPLOYED');
      const alarm = {
        name: alarmOf(environment),
        arn: alarmArnOf(alarmOf(environment)),
        reason: 'Threshold Crossed: 5xx above 5 for 1 minute',
        stateChangedAt: at.toISOString(), // from CloudWatch's +0000 form
      };
      expect(state.ofType('DEPLOYMENT_ROLLED_BACK')).toEqual([
        expect.objectContaining({ version: 1, trigger: 'alarm', alarm, deployment: rolledBack }),
      ]);
      expect(state.ofType('ROLLBACK_REQUESTED')).toEqual([
        expect.objectContaining({
          version: 1,
          environment,
          targetImageTag: 'v1.0.0',
          alarm,
          current: rolledBack,
          target: expect.objectContaining({ id: v1.id }),
        }),
      ]);
      expect(state.ofType('AUTO_ROLLBACK_SKIPPED')).toEqual([]);
      // The same write held the environment, by the alarm's rollback.
      expect(state.ofType('ENVIRONMENT_HELD')).toEqual([
        expect.objectContaining({
          hold: expect.objectContaining({
            by: `auto-rollback:${alarmOf(environment)}`,
            cause: { kind: 'rollback', deploymentId: rolledBack?.id, runId: null },
          }),
        }),
      ]);

      // The same state change again, in the same shape: already handled, nothing written.
      const again = await handler(alarmEvent(shape, fixture(environment, { at })));
      expect(again.outcomes).toEqual([expect.objectContaining({ kind: 'duplicate' })]);
      expect((await stateOf(environment)).messages).toHaveLength(3);
    });
  }
});

describe('skip rules: no rollback, one AUTO_ROLLBACK_SKIPPED that says why', () => {
  async function expectSkip(environment: string, reason: RegExp, at = new Date()) {
    const before = await stateOf(environment);
    const result = await handler(alarmEvent('lambda', fixture(environment, { at })));
    expect(result.outcomes).toEqual([
      expect.objectContaining({ kind: 'skipped', reason: expect.stringMatching(reason) }),
    ]);
    const after = await stateOf(environment);
    expect(after.records).toEqual(expect.arrayContaining(before.records));
    expect(after.rolledBack).toHaveLength(before.rolledBack.length);
    const skipped = after.ofType('AUTO_ROLLBACK_SKIPPED');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ version: 1, environment, reason: expect.stringMatching(reason) });
    expect(after.ofType('ROLLBACK_REQUESTED')).toHaveLength(0);
    return skipped[0];
  }

  it('no deployments in the environment', async () => {
    const skipped = await expectSkip('no-deploys', /no deployments in no-deploys/);
    expect(skipped.current).toBeNull();
  });

  it('the current deployment is older than the window', async () => {
    const { v2 } = await twoDeployments('too-old', 61 * MINUTE);
    const skipped = await expectSkip('too-old', /more than 60 minutes before the alarm fired/);
    expect(skipped.current.id).toBe(v2.id);
  });

  it('the current deployment is not DEPLOYED (FAILED)', async () => {
    await twoDeployments('not-deployed');
    await deploy('not-deployed', 'v3.0.0', { status: 'FAILED' });
    await expectSkip('not-deployed', /is FAILED, not DEPLOYED/);
  });

  it('the current deployment is already rolled back', async () => {
    const { v2 } = await twoDeployments('already-rolled');
    await rollbackDeployment(table.ports, { imageTag: v2.imageTag, environment: 'already-rolled', by: 'ops' });
    await expectSkip('already-rolled', /is already rolled back/);
    expect((await stateOf('already-rolled')).byId(v2.id)?.rolledBackBy).toBe('ops');
  });

  it('the current deployment is itself a rollback (rollbackOf set)', async () => {
    const { v1, v2 } = await twoDeployments('is-rollback', 5 * MINUTE);
    await rollbackDeployment(table.ports, { imageTag: v2.imageTag, environment: 'is-rollback', by: 'ops' });
    await deploy('is-rollback', v1.imageTag, { rollbackOf: v2.id });
    await expectSkip('is-rollback', new RegExp(`is itself a rollback \\(of ${v2.id}\\)`));
  });

  it('there is nothing to roll back to', async () => {
    await deploy('no-target', 'v1.0.0');
    await expectSkip('no-target', /no earlier DEPLOYED version in no-target to roll back v1.0.0 to/);
  });

  it('the current deployment came after the alarm fired (a late or redelivered alarm)', async () => {
    await twoDeployments('after-alarm');
    await expectSkip('after-alarm', /after the alarm fired/, new Date(Date.now() - 5 * MINUTE));
  });

  it('a redelivered alarm that was skipped notifies once', async () => {
    await deploy('redelivered-skip', 'v1.0.0');
    const at = new Date();
    const results = await Promise.all(
      SHAPES.map((shape) => handler(alarmEvent(shape, fixture('redelivered-skip', { at })))),
    );
    expect(results.flatMap((r) => r.outcomes.map((o) => o.kind)).sort()).toEqual(['duplicate', 'duplicate', 'skipped']);
    expect((await stateOf('redelivered-skip')).ofType('AUTO_ROLLBACK_SKIPPED')).toHaveLength(1);
  });
});

describe('events that change nothing', () => {
  it.each([
    ['OK', 'ALARM'],
    ['INSUFFICIENT_DATA', 'OK'],
    ['ALARM', 'ALARM'],
  ] as const)('state %s (from %s)', async (state, previousState) => {
    await twoDeployments('states');
    const before = await stateOf('states');
    for (const shape of SHAPES) {
      const result = await handler(alarmEvent(shape, fixture('states', { state, previousState })));
      expect(result.outcomes).toEqual([expect.objectContaining({ kind: 'ignored' })]);
    }
    const after = await stateOf('states');
    expect(after.records).toEqual(expect.arrayContaining(before.records));
    expect(after.rolledBack).toHaveLength(0);
    expect(after.messages).toHaveLength(0);
  });

  it('an alarm no rule maps: ignored, saying so', async () => {
    await twoDeployments('malformed');
    const result = await handler(alarmEvent('eventbridge', { name: 'someone-elses-alarm', at: new Date() }));
    expect(result.outcomes).toEqual([
      expect.objectContaining({ kind: 'ignored', reason: expect.stringMatching(/not mapped to an environment/) }),
    ]);
    expect((await stateOf('malformed')).rolledBack).toHaveLength(0);
  });

  it.each([
    ['not an object', 'hello'],
    ['null', null],
    ['an unknown shape', { foo: 'bar' }],
    [
      'a state timestamp that is not a time',
      (() => {
        const event = alarmActionEvent(fixture('malformed'));
        event.alarmData.state.timestamp = '27/11/2026 10:00';
        return event;
      })(),
    ],
    [
      'an EventBridge event without the alarm ARN',
      { ...alarmEvent('eventbridge', fixture('malformed')), resources: [] },
    ],
    [
      'alarmData without a state',
      { source: 'aws.cloudwatch', alarmArn: alarmArnOf('malformed-5xx'), alarmData: { alarmName: 'malformed-5xx' } },
    ],
    [
      'an SNS message that is not JSON',
      { Records: [{ Sns: { TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: '{' } }] },
    ],
  ])('a malformed event (%s) is logged and dropped, and the invocation succeeds', async (_, event) => {
    const result = await handler(event);
    expect(result).toMatchObject({ via: null, outcomes: [], dropped: expect.any(String) });
    expect((await stateOf('malformed')).rolledBack).toHaveLength(0);
  });
});

describe('one state change, delivered 10 times and through all three shapes, racing a manual rollback', () => {
  const wins: string[] = [];
  afterAll(() => console.info(`race winners: ${wins.join(', ')}`));
  // The manual call starts 0-60 ms after the alarms, so that each side wins in some rounds.
  for (const [round, delay] of [0, 5, 20, 60].entries()) {
    it(`makes one rollback and one set of notifications (manual call ${delay} ms later)`, async () => {
      const environment = `race-${round}`;
      const { v1, v2 } = await twoDeployments(environment);
      const at = new Date();
      const deliveries = [
        ...Array.from({ length: 10 }, () => alarmEvent('lambda', fixture(environment, { at }))),
        alarmEvent('eventbridge', fixture(environment, { at })),
        alarmEvent('sns', fixture(environment, { at })),
      ];
      const manual = new Promise((resolve) => setTimeout(resolve, delay)).then(() =>
        rollbackDeployment(table.ports, {
          imageTag: v2.imageTag,
          environment,
          reason: 'manual',
          by: 'arn:aws:iam::123456789012:user/ops',
        }).then(
          () => 'won' as const,
          (error: Error) => error.constructor.name,
        ),
      );
      const [manualResult, ...results] = await Promise.all([manual, ...deliveries.map((e) => handler(e))]);
      wins.push(manualResult === 'won' ? 'manual' : 'alarm');
      const kinds = results.flatMap((r) => r.outcomes.map((o) => o.kind));

      const state = await stateOf(environment);
      expect(state.rolledBack.map((r) => r.id)).toEqual([v2.id]);
      expect(state.byId(v1.id)?.status).toBe('DEPLOYED');
      expect(state.ofType('DEPLOYMENT_ROLLED_BACK')).toHaveLength(1);
      expect(state.ofType('ENVIRONMENT_HELD')).toHaveLength(1);
      if (manualResult === 'won') {
        // The manual call won: the alarm found it rolled back, and says so once.
        expect(state.byId(v2.id)?.rolledBackBy).toBe('arn:aws:iam::123456789012:user/ops');
        expect(state.ofType('DEPLOYMENT_ROLLED_BACK')[0].trigger).toBe('manual');
        expect(state.ofType('ROLLBACK_REQUESTED')).toHaveLength(0);
        expect(state.ofType('AUTO_ROLLBACK_SKIPPED')).toHaveLength(1);
        expect(state.ofType('AUTO_ROLLBACK_SKIPPED')[0].reason).toMatch(/already rolled back/);
        expect(kinds.filter((k) => k === 'skipped')).toHaveLength(1);
        expect(kinds.filter((k) => k === 'rolled-back')).toHaveLength(0);
      } else {
        // The alarm won: the manual call is the API's 409, and the alarm's rollback stands.
        expect(manualResult).toBe('TransitionConflictError');
        expect(state.byId(v2.id)?.rolledBackBy).toBe(`auto-rollback:${alarmOf(environment)}`);
        expect(state.ofType('DEPLOYMENT_ROLLED_BACK')[0].trigger).toBe('alarm');
        expect(state.ofType('ROLLBACK_REQUESTED')).toHaveLength(1);
        expect(state.ofType('ROLLBACK_REQUESTED')[0].targetImageTag).toBe('v1.0.0');
        expect(state.ofType('AUTO_ROLLBACK_SKIPPED')).toHaveLength(0);
        expect(kinds.filter((k) => k === 'rolled-back')).toHaveLength(1);
      }
      expect(kinds.filter((k) => k !== 'duplicate' && k !== 'rolled-back' && k !== 'skipped')).toEqual([]);
      expect(kinds).toHaveLength(12);
    });
  }
});
