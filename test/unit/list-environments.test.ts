import { describe, expect, it } from 'vitest';
import { listEnvironments } from '../../functions/core/use-cases/list-environments.js';
import { ConfigError, readRedeployVia } from '../../functions/lib/config.js';
import { deploymentFixture } from '../support/fixtures.js';
import { memoryPorts } from '../support/memory-store.js';

describe('listEnvironments', () => {
  it('gives each environment its newest record and its redeploy target kind, sorted by name', async () => {
    const { ports, store } = memoryPorts();
    const older = deploymentFixture({ environment: 'prod', deployedAt: '2026-11-27T09:00:00.000Z' });
    const newer = deploymentFixture({ environment: 'prod', deployedAt: '2026-11-27T10:00:00.000Z' });
    const staging = deploymentFixture({ environment: 'staging', deployedAt: '2026-11-27T08:00:00.000Z' });
    for (const r of [newer, staging, older]) await store.create(r);
    const via = (environment: string) => (environment === 'prod' ? 'ecs' : null);
    expect(await listEnvironments({ ...ports, redeployVia: via })).toEqual({
      items: [
        {
          environment: 'prod',
          current: newer,
          lastDeployedAt: newer.deployedAt,
          redeploy: { via: 'ecs' },
          activeRun: null,
          readiness: null,
        },
        {
          environment: 'staging',
          current: staging,
          lastDeployedAt: staging.deployedAt,
          redeploy: null,
          activeRun: null,
          readiness: null,
        },
      ],
    });
  });

  it('is an empty list before any record', async () => {
    const { ports } = memoryPorts();
    expect(await listEnvironments({ ...ports, redeployVia: () => 'ecs' })).toEqual({ items: [] });
  });
});

describe('readRedeployVia (REDEPLOY_TARGETS as ListEnvironments reads it)', () => {
  it('maps each environment to the via of its target, and is empty when unset', () => {
    const targets = { prod: { via: 'ecs', cluster: 'c' }, dev: { via: 'callback' } };
    expect(readRedeployVia({ REDEPLOY_TARGETS: JSON.stringify(targets) })).toEqual({ prod: 'ecs', dev: 'callback' });
    expect(readRedeployVia({})).toEqual({});
    expect(readRedeployVia({ REDEPLOY_TARGETS: ' ' })).toEqual({});
  });

  it.each([
    ['not JSON', '{', /must be JSON/],
    ['not an object', 'null', /must be a JSON object/],
    ['a target without via', '{"prod":{"cluster":"c"}}', /REDEPLOY_TARGETS\.prod\.via must be a string/],
  ])('fails the cold start on %s', (_, value, message) => {
    expect(() => readRedeployVia({ REDEPLOY_TARGETS: value })).toThrow(ConfigError);
    expect(() => readRedeployVia({ REDEPLOY_TARGETS: value })).toThrow(message);
  });
});
