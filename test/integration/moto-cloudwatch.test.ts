import { randomUUID } from 'node:crypto';
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchAlarmConfirmer, cloudWatchClient } from '../../functions/adapters/cloudwatch-confirmer.js';
import { CloudWatchHealth } from '../../functions/adapters/cloudwatch-health.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { alarmArnOf, alarmEvent } from '../../infra/local/alarm-events.js';
import { freshTable } from '../support/dynamodb.js';

/**
 * The alarm confirmer and the verify bake against CloudWatch in moto_server: real alarms,
 * put there and set to ALARM with SetAlarmState; the adapters' own clients, pointed at moto
 * only by AWS_ENDPOINT_URL_CLOUDWATCH (test/support/moto-env.ts).
 *
 * moto 5 does not implement DescribeAlarmHistory (it answers 500 NotImplementedError). The
 * confirmer asks for the history only when DescribeAlarms does not already confirm the change;
 * for those cases (an alarm that is OK) the client the test gives the confirmer answers that
 * one call with an empty history, which is what CloudWatch answers for an alarm that made no
 * change into ALARM in the window. Every DescribeAlarms answer is moto's.
 */

// The handler module builds its (unused here) DynamoDB ports at import, as at a cold start.
process.env.TABLE_NAME ||= 'not-used-by-these-tests';
const { createAutoRollback } = await import('../../functions/events/auto-rollback.js');

const REGION = 'us-east-1';
/** moto's default account: the one its alarms' ARNs name. */
const MOTO_ACCOUNT = '123456789012';
const run = randomUUID().slice(0, 8);
const cloudwatch = cloudWatchClient(REGION);
const historyCalls: unknown[] = [];

/** The confirmer's client: moto's, except DescribeAlarmHistory (see above). */
function confirmerClient(): CloudWatchClient {
  const client = cloudWatchClient(REGION);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'DescribeAlarmHistoryCommand') return next(args);
      historyCalls.push(args.input);
      return { output: { AlarmHistoryItems: [], $metadata: {} }, response: {} };
    },
    { step: 'initialize', name: 'motoHasNoAlarmHistory' },
  );
  return client;
}

async function putAlarm(name: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA') {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiId', Value: 'a1b2c3' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `Threshold Crossed (test: ${state})` }),
  );
  const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  const alarm = MetricAlarms[0];
  if (!alarm?.AlarmArn || !alarm.StateUpdatedTimestamp) throw new Error(`moto did not keep alarm ${name}`);
  return { arn: alarm.AlarmArn, since: alarm.StateUpdatedTimestamp, state: alarm.StateValue };
}

type Table = Awaited<ReturnType<typeof freshTable>>;
let table: Table;

beforeAll(async () => {
  table = await freshTable();
});

/** An environment with v1 then v2 (a minute ago), and the auto-rollback over it that confirms with moto. */
async function scene(environment: string, alarm: string) {
  const deploy = (imageTag: string, ago: number) =>
    recordDeployment(
      table.ports,
      RecordDeploymentInput.parse({ environment, imageTag, deployedAt: new Date(Date.now() - ago).toISOString() }),
      { by: 'arn:aws:iam::123456789012:role/ci' },
    );
  await deploy('v1.0.0', 20 * 60_000);
  const { record: v2 } = await deploy('v2.0.0', 60_000);
  const handler = createAutoRollback(
    table.ports,
    { [alarm]: { environment, windowMinutes: 60 } },
    new CloudWatchAlarmConfirmer(confirmerClient()),
  );
  return { handler, v2 };
}

describe('the alarm confirmer, against alarms in moto', () => {
  it('acts on a change moto shows as the alarm’s current ALARM state (no history needed)', async () => {
    const name = `prod-5xx-${run}`;
    const alarm = await putAlarm(name, 'ALARM');
    expect(alarm.arn).toBe(alarmArnOf(name, REGION, MOTO_ACCOUNT));
    const { handler, v2 } = await scene(`cw-confirmed-${run}`, name);
    const calls = historyCalls.length;

    const result = await handler(alarmEvent('eventbridge', { name, arn: alarm.arn, state: 'ALARM', at: alarm.since }));

    expect(result.outcomes.map((o) => o.kind)).toEqual(['rolled-back']);
    expect(result.confirmations).toEqual([`${name}: in ALARM since ${alarm.since.toISOString()}`]);
    expect(historyCalls).toHaveLength(calls);
    expect((await table.store.get(v2.id))?.status).toBe('ROLLED_BACK');
  });

  it.each([
    ['the alarm is OK (no change into ALARM then)', 'ok', 'OK'],
    ['no such alarm', 'missing', undefined],
    ['an alarm of that name under another ARN (account)', 'wrong-arn', 'ALARM'],
  ] as const)('drops a forged change: %s, and writes nothing', async (_, kind, state) => {
    const name = `forged-${kind}-${run}`;
    const environment = `cw-${kind}-${run}`;
    const real = state === undefined ? undefined : await putAlarm(name, state);
    const arn = kind === 'wrong-arn' ? alarmArnOf(name, REGION, '999999999999') : (real?.arn ?? alarmArnOf(name));
    const at = real?.since ?? new Date();
    const { handler, v2 } = await scene(environment, name);
    const calls = historyCalls.length;

    const result = await handler(alarmEvent('sns', { name, arn, state: 'ALARM', at }));

    expect(result.outcomes).toEqual([{ kind: 'unconfirmed', alarm: name, reason: expect.any(String) }]);
    const [outcome] = result.outcomes;
    if (kind === 'ok') {
      expect(outcome && 'reason' in outcome && outcome.reason).toMatch(`CloudWatch shows ${name} in OK since`);
      // The only call moto cannot answer; it asked for this alarm around the event's time.
      expect(historyCalls.slice(calls)).toEqual([expect.objectContaining({ AlarmName: name })]);
    } else {
      expect(outcome && 'reason' in outcome && outcome.reason).toBe(
        `CloudWatch has no alarm ${arn} (this account and region)`,
      );
      expect(historyCalls).toHaveLength(calls);
    }
    expect((await table.store.get(v2.id))?.status).toBe('DEPLOYED');
  });
});

describe('the verify bake reads the alarms’ states from moto', () => {
  const health = new CloudWatchHealth(cloudwatch);

  it('is healthy when every verify alarm is OK', async () => {
    const names = [`verify-a-${run}`, `verify-b-${run}`];
    for (const name of names) await putAlarm(name, 'OK');
    expect(await health.check('prod', { alarms: names, bakeMinutes: 10, recoverMinutes: 5, pollSeconds: 30 })).toEqual({
      healthy: true,
      detail: `${names.join(', ')} OK`,
    });
  });

  it('is unhealthy, naming each alarm that is not OK: in ALARM, without data yet, or missing', async () => {
    const ok = `bake-ok-${run}`;
    const alarming = `bake-alarm-${run}`;
    const fresh = `bake-fresh-${run}`;
    const missing = `bake-missing-${run}`;
    await putAlarm(ok, 'OK');
    await putAlarm(alarming, 'ALARM');
    await putAlarm(fresh, 'INSUFFICIENT_DATA');
    expect(
      await health.check('prod', {
        alarms: [ok, alarming, fresh, missing],
        bakeMinutes: 10,
        recoverMinutes: 5,
        pollSeconds: 30,
      }),
    ).toEqual({
      healthy: false,
      detail: `${alarming} ALARM, ${fresh} INSUFFICIENT_DATA, ${missing} MISSING`,
    });
  });

  it('turns healthy once the alarm goes back to OK', async () => {
    const name = `bake-recovers-${run}`;
    await putAlarm(name, 'ALARM');
    expect(
      (await health.check('prod', { alarms: [name], bakeMinutes: 10, recoverMinutes: 5, pollSeconds: 30 })).healthy,
    ).toBe(false);
    await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'recovered' }));
    expect(
      (await health.check('prod', { alarms: [name], bakeMinutes: 10, recoverMinutes: 5, pollSeconds: 30 })).healthy,
    ).toBe(true);
  });
});
