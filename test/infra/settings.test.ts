import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../infra/stacks/settings.js';

/** Context as `-c key=value` gives it: every value a string. */
const settingsOf = (context: Record<string, string>) => readSettings(new App({ context }).node);

describe('settings from CDK context', () => {
  it('defaults to the dev stage, 30-day logs, 50 rps with bursts of 100, and no ops email', () => {
    expect(settingsOf({})).toEqual({
      stage: 'dev',
      opsEmail: undefined,
      logRetention: RetentionDays.ONE_MONTH,
      throttle: { rateLimit: 50, burstLimit: 100 },
      autoRollback: [],
      redeployTargets: {},
    });
  });

  it('takes every setting from -c strings', () => {
    expect(
      settingsOf({
        stage: 'prod',
        opsEmail: 'ops@example.com',
        logRetentionDays: '90',
        throttleRateLimit: '20',
        throttleBurstLimit: '40',
        autoRollback: '[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]',
      }),
    ).toEqual({
      stage: 'prod',
      opsEmail: 'ops@example.com',
      logRetention: RetentionDays.THREE_MONTHS,
      throttle: { rateLimit: 20, burstLimit: 40 },
      autoRollback: [{ alarmName: 'prod-api-5xx', environment: 'prod', windowMinutes: 60 }],
      redeployTargets: {},
    });
  });

  it("takes redeployTargets with the functions' schema, and refuses a command target or a bad one at synth", () => {
    const targets = settingsOf({
      redeployTargets: '{"prod":{"via":"callback","verify":{"alarms":["prod-api-5xx"],"bakeMinutes":5}}}',
    }).redeployTargets;
    expect(targets.prod).toMatchObject({
      via: 'callback',
      timeoutMinutes: 30,
      verify: { alarms: ['prod-api-5xx'], bakeMinutes: 5 },
    });
    expect(() => settingsOf({ redeployTargets: '{"prod":{"via":"command","command":"deploy.sh"}}' })).toThrow(
      /local mode only/,
    );
    expect(() => settingsOf({ redeployTargets: '{"prod":{"via":"ecs"}}' })).toThrow(
      /redeployTargets is invalid: prod.via/,
    );
    expect(() => settingsOf({ redeployTargets: '{"Prod!":{"via":"callback"}}' })).toThrow(/redeployTargets is invalid/);
  });

  it('takes autoRollback as JSON from cdk.json too (an array, not a string)', () => {
    const alarms = [
      { alarmName: 'a', environment: 'prod', windowMinutes: 60 },
      { alarmName: 'b', environment: 'eu-staging', windowMinutes: 15 },
    ];
    expect(readSettings(new App({ context: { autoRollback: alarms } }).node).autoRollback).toEqual(alarms);
  });

  it('treats an empty opsEmail as none', () => {
    expect(settingsOf({ opsEmail: '' }).opsEmail).toBeUndefined();
  });

  it.each([
    [{ stage: 'Prod' }, /stage/],
    [{ stage: 'prod_eu' }, /stage/],
    [{ opsEmail: 'not-an-address' }, /opsEmail/],
    [{ logRetentionDays: '31' }, /logRetentionDays must be one CloudWatch Logs accepts/],
    [{ logRetentionDays: 'forever' }, /logRetentionDays must be a positive integer/],
    [{ throttleRateLimit: '0' }, /throttleRateLimit/],
    [{ throttleBurstLimit: '1.5' }, /throttleBurstLimit/],
    [{ autoRollback: 'prod-api-5xx' }, /autoRollback must be a JSON array/],
    [{ autoRollback: '{"alarmName":"a","environment":"prod","windowMinutes":60}' }, /autoRollback is invalid/],
    [{ autoRollback: '[{"alarmName":"a","environment":"Prod","windowMinutes":60}]' }, /0\.environment/],
    [{ autoRollback: '[{"alarmName":"a","environment":"prod","windowMinutes":0}]' }, /0\.windowMinutes/],
    [{ autoRollback: '[{"alarmName":"a","environment":"prod","windowMinutes":60,"window":1}]' }, /window/],
    [{ autoRollback: '[{"alarmName":"","environment":"prod","windowMinutes":60}]' }, /0\.alarmName/],
    [
      {
        autoRollback:
          '[{"alarmName":"a","environment":"prod","windowMinutes":60},{"alarmName":"a","environment":"dev","windowMinutes":5}]',
      },
      /names the alarm "a" twice/,
    ],
  ])('refuses %o at synth', (context, message) => {
    expect(() => settingsOf(context)).toThrow(message);
  });
});
