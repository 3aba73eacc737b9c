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
      routeThrottle: { write: { rateLimit: 20, burstLimit: 40 }, rollback: { rateLimit: 10, burstLimit: 20 } },
      accessLogRetention: RetentionDays.ONE_YEAR,
      autoRollback: [],
      organizationId: undefined,
      redeployTargets: {},
      accessPolicy: undefined,
      holdAfterRollback: undefined,
      chat: undefined,
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
        writeThrottleRateLimit: '5',
        writeThrottleBurstLimit: '6',
        rollbackThrottleRateLimit: '7',
        rollbackThrottleBurstLimit: '8',
        accessLogRetentionDays: '731',
        autoRollback: '[{"alarmName":"prod-api-5xx","environment":"prod","windowMinutes":60}]',
      }),
    ).toEqual({
      stage: 'prod',
      opsEmail: 'ops@example.com',
      logRetention: RetentionDays.THREE_MONTHS,
      throttle: { rateLimit: 20, burstLimit: 40 },
      routeThrottle: { write: { rateLimit: 5, burstLimit: 6 }, rollback: { rateLimit: 7, burstLimit: 8 } },
      accessLogRetention: RetentionDays.TWO_YEARS,
      autoRollback: [{ alarmName: 'prod-api-5xx', environment: 'prod', windowMinutes: 60 }],
      organizationId: undefined,
      redeployTargets: {},
      accessPolicy: undefined,
      holdAfterRollback: undefined,
      chat: undefined,
    });
  });

  it('takes holdAfterRollback, the environments a rollback holds, and refuses anything but a list of names or "*"', () => {
    expect(settingsOf({ holdAfterRollback: '["prod","staging"]' }).holdAfterRollback).toEqual(['prod', 'staging']);
    expect(settingsOf({ holdAfterRollback: '["*"]' }).holdAfterRollback).toEqual(['*']);
    expect(settingsOf({ holdAfterRollback: '[]' }).holdAfterRollback).toEqual([]);
    expect(() => settingsOf({ holdAfterRollback: 'prod' })).toThrow(/context holdAfterRollback must be a JSON array/);
    expect(() => settingsOf({ holdAfterRollback: '["Prod"]' })).toThrow(/context holdAfterRollback must be/);
    expect(() => settingsOf({ holdAfterRollback: '{"prod":true}' })).toThrow(/holdAfterRollback/);
  });

  it('takes organizationId, the organization whose accounts may send alarms, and refuses one that is not an id', () => {
    expect(settingsOf({ organizationId: 'o-a1b2c3d4e5' }).organizationId).toBe('o-a1b2c3d4e5');
    expect(() => settingsOf({ organizationId: 'a1b2c3d4e5' })).toThrow(/context organizationId .* got "a1b2c3d4e5"/);
    expect(() => settingsOf({ organizationId: 'o-ABC' })).toThrow(/organizationId/);
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
    expect(() => settingsOf({ redeployTargets: '{"prod":{"via":"nomad"}}' })).toThrow(
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

  it('takes chat: {} for the chat topic alone, a Slack or Teams channel, or both; absent or empty is none', () => {
    expect(settingsOf({}).chat).toBeUndefined();
    expect(settingsOf({ chat: '' }).chat).toBeUndefined();
    expect(settingsOf({ chat: '{}' }).chat).toEqual({});
    const slack = { workspaceId: 'T0123ABCDEF', channelId: 'C0123ABCDEF' };
    const teams = {
      teamId: '5d8a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
      tenantId: '0f1e2d3c-4b5a-4968-8776-655443322110',
      channelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
    };
    expect(settingsOf({ chat: JSON.stringify({ slack }) }).chat).toEqual({ slack });
    expect(settingsOf({ chat: JSON.stringify({ slack, teams }) }).chat).toEqual({ slack, teams });
    // From cdk.json, an object; a Teams channel ID pasted decoded is encoded as Amazon Q wants it.
    const decoded = { ...teams, channelId: '19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2' };
    expect(readSettings(new App({ context: { chat: { teams: decoded } } }).node).chat).toEqual({ teams });
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
    [
      {
        autoRollback:
          '[{"alarmName":"ok","environment":"prod","windowMinutes":5},{"alarmName":"p99","environment":"prod","windowMinutes":0}]',
      },
      /1\.windowMinutes \(alarm "p99"\)/,
    ],
    [
      {
        autoRollback: JSON.stringify(
          Array.from({ length: 80 }, (_, i) => ({
            alarmName: `prod-service-${i}-5xx`,
            environment: 'prod',
            windowMinutes: 60,
          })),
        ),
      },
      /ALARM_RULES \d+ bytes for 80 alarms; Lambda allows 4 KB/,
    ],
    [{ autoRollback: '[{"alarmName":"a","environment":"prod","windowMinutes":60,"window":1}]' }, /window/],
    [{ autoRollback: '[{"alarmName":"","environment":"prod","windowMinutes":60}]' }, /0\.alarmName/],
    [
      {
        autoRollback:
          '[{"alarmName":"a","environment":"prod","windowMinutes":60},{"alarmName":"a","environment":"dev","windowMinutes":5}]',
      },
      /names the alarm "a" twice/,
    ],
    [{ chat: 'slack' }, /context chat must be a JSON object/],
    [{ chat: '[]' }, /context chat is invalid \(\(root\)/],
    [
      { chat: '{"slack":{"workspaceId":"T0123","channelId":"#ops"}}' },
      /chat is invalid \(slack.channelId: must be a Slack channel ID/,
    ],
    [{ chat: '{"slack":{"workspaceId":"t0123","channelId":"C01"}}' }, /slack.workspaceId: must be a Slack workspace/],
    [{ chat: '{"slack":{"channelId":"C01"}}' }, /slack.workspaceId/],
    [{ chat: '{"discord":{}}' }, /chat is invalid/],
    [
      {
        chat: '{"teams":{"teamId":"team-1","tenantId":"0f1e2d3c-4b5a-4968-8776-655443322110","channelId":"19%3ax%40thread.tacv2"}}',
      },
      /teams.teamId: must be a UUID/,
    ],
    [
      {
        chat: '{"teams":{"teamId":"5d8a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d","tenantId":"0f1e2d3c-4b5a-4968-8776-655443322110","channelId":"general"}}',
      },
      /teams.channelId: must be a Microsoft Teams channel ID/,
    ],
  ])('refuses %o at synth', (context, message) => {
    expect(() => settingsOf(context)).toThrow(message);
  });
});
