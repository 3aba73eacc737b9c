import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { NotFoundError } from '../../functions/core/errors.js';
import type { ReadinessSummary } from '../../functions/core/guards.js';
import type { OutboxEvent } from '../../functions/core/notifications.js';
import {
  type AlarmProbe,
  evaluateReadiness,
  type ProbeResult,
  READINESS_WALK_LIMIT,
  type ReadinessPorts,
  type TargetProbe,
  transitionOf,
} from '../../functions/core/readiness.js';
import type { RedeployTarget } from '../../functions/core/redeploy/targets.js';
import type { ImageLookup } from '../../functions/core/safety.js';
import { type ReadinessStore, refreshReadiness } from '../../functions/core/use-cases/refresh-readiness.js';
import { deploymentFixture } from '../support/fixtures.js';
import { MemoryStore } from '../support/memory-store.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const ECS: RedeployTarget = {
  via: 'ecs',
  accountId: '123456789012',
  region: 'eu-west-1',
  cluster: 'web',
  service: 'api',
  containerName: 'app',
  passRoleArns: [],
  timeoutMinutes: 30,
  pollSeconds: 30,
  ecrRepository: 'team/web',
  verify: { alarms: ['prod-5xx', 'prod-latency'], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
};

interface Fakes {
  image?: ImageLookup;
  probe?: ProbeResult;
  alarms?: Awaited<ReturnType<AlarmProbe['missing']>>;
  targets?: Record<string, RedeployTarget>;
}

function setUp(records: Deployment[], fakes: Fakes = {}) {
  const store = new MemoryStore();
  for (const r of records) store.records.set(r.id, r);
  const calls = { images: 0, probes: 0, alarms: 0 };
  const targetProbe: TargetProbe = {
    probe: async () => {
      calls.probes += 1;
      return fakes.probe ?? { kind: 'ok', detail: 'ECS service api is ACTIVE' };
    },
  };
  const ports: ReadinessPorts = {
    deployments: store,
    now: () => new Date('2026-12-02T10:00:00.000Z'),
    targets: fakes.targets ?? { prod: ECS },
    images: {
      lookUp: async () => {
        calls.images += 1;
        return fakes.image ?? { kind: 'found', digest: DIGEST };
      },
    },
    targetProbe,
    alarmProbe: {
      missing: async () => {
        calls.alarms += 1;
        return fakes.alarms ?? { kind: 'ok', missing: [] };
      },
    },
  };
  return { store, ports, calls };
}

const history = (): Deployment[] => [
  deploymentFixture({ imageTag: 'v1', imageDigest: DIGEST }),
  deploymentFixture({ imageTag: 'v2' }),
];
const statusOf = (r: Awaited<ReturnType<typeof evaluateReadiness>>) =>
  Object.fromEntries(r.checks.map((c) => [c.name, c.status]));

describe('evaluateReadiness', () => {
  it('passes every check when the target, its image, the ECS service and the alarms are there', async () => {
    const records = history();
    const { ports, calls } = setUp(records);
    const readiness = await evaluateReadiness(ports, 'prod');
    expect(readiness.ready).toBe(true);
    expect(readiness.current?.id).toBe(records[1]?.id);
    expect(readiness.target?.id).toBe(records[0]?.id);
    expect(readiness.checks.map((c) => c.name)).toEqual(['target', 'image', 'migrations', 'redeploy-target', 'verify']);
    expect(statusOf(readiness)).toEqual({
      target: 'PASSED',
      image: 'PASSED',
      migrations: 'PASSED',
      'redeploy-target': 'PASSED',
      verify: 'PASSED',
    });
    expect(readiness.checks[0]?.detail).toBe(`v1 (${records[0]?.id}) is DEPLOYED in prod`);
    expect(readiness.checkedAt).toBe('2026-12-02T10:00:00.000Z');
    expect(calls).toEqual({ images: 1, probes: 1, alarms: 1 });
  });

  it('fails the target check, and skips the rest, with nothing to roll back to', async () => {
    const { ports, calls } = setUp([deploymentFixture({ imageTag: 'v1' })]);
    const readiness = await evaluateReadiness(ports, 'prod');
    expect(readiness.ready).toBe(false);
    expect(readiness.target).toBeNull();
    expect(readiness.checks[0]).toMatchObject({ name: 'target', status: 'FAILED' });
    expect(readiness.checks[0]?.detail).toMatch(/^nothing to roll back to: no earlier DEPLOYED version in prod/);
    expect(readiness.checks.slice(1).map((c) => c.status)).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED', 'SKIPPED']);
    expect(calls).toEqual({ images: 0, probes: 0, alarms: 0 });
  });

  it('answers NotFoundError for an environment without records', async () => {
    const { ports } = setUp(history());
    await expect(evaluateReadiness(ports, 'staging')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fails the image check when the image is gone, and skips it when ECR cannot be asked', async () => {
    const gone = await evaluateReadiness(
      setUp(history(), { image: { kind: 'gone', reason: 'image not found' } }).ports,
      'prod',
    );
    expect(gone.ready).toBe(false);
    expect(gone.checks[1]).toMatchObject({ name: 'image', status: 'FAILED' });
    expect(gone.checks[1]?.detail).toContain('team/web:v1 is no longer in the registry (image not found)');

    const down = await evaluateReadiness(
      setUp(history(), { image: { kind: 'error', reason: 'ThrottlingException: Rate exceeded' } }).ports,
      'prod',
    );
    expect(down.ready).toBe(true);
    expect(down.checks[1]).toMatchObject({ name: 'image', status: 'SKIPPED' });
    expect(down.checks[1]?.detail).toContain('ThrottlingException: Rate exceeded');
  });

  it('fails the image check when the tag now points at another digest', async () => {
    const moved = await evaluateReadiness(
      setUp(history(), { image: { kind: 'found', digest: `sha256:${'b'.repeat(64)}` } }).ports,
      'prod',
    );
    expect(moved.checks[1]).toMatchObject({ name: 'image', status: 'FAILED' });
  });

  it('skips the image check without a configured repository', async () => {
    const { ecrRepository: _, ...noRepo } = ECS;
    const readiness = await evaluateReadiness(
      setUp(history(), { targets: { prod: noRepo as RedeployTarget } }).ports,
      'prod',
    );
    expect(readiness.checks[1]).toMatchObject({ name: 'image', status: 'SKIPPED' });
    expect(readiness.checks[1]?.detail).toMatch(/no ECR repository configured/);
  });

  it('fails the migrations check for an irreversible migration between current and target, naming it', async () => {
    const records = [
      deploymentFixture({ imageTag: 'v1' }),
      deploymentFixture({
        imageTag: 'v2',
        migrations: [{ id: '0042_drop_total', reversible: false, description: 'drops total' }],
      }),
    ];
    const readiness = await evaluateReadiness(setUp(records).ports, 'prod');
    expect(readiness.ready).toBe(false);
    expect(readiness.checks[2]).toMatchObject({ name: 'migrations', status: 'FAILED' });
    expect(readiness.checks[2]?.detail).toContain('0042_drop_total');
  });

  it('checks the redeploy target: none configured is SKIPPED, gone is FAILED, unreachable is SKIPPED', async () => {
    const none = await evaluateReadiness(setUp(history(), { targets: {} }).ports, 'prod');
    expect(none.checks[3]).toEqual({
      name: 'redeploy-target',
      status: 'SKIPPED',
      detail: 'no redeploy target configured: pipelines roll back',
    });
    expect(none.checks[4]).toMatchObject({ name: 'verify', status: 'SKIPPED' });
    expect(none.ready).toBe(true);

    const gone = await evaluateReadiness(
      setUp(history(), { probe: { kind: 'missing', detail: 'ECS service api in cluster web: MISSING' } }).ports,
      'prod',
    );
    expect(gone.checks[3]).toEqual({
      name: 'redeploy-target',
      status: 'FAILED',
      detail: 'ECS service api in cluster web: MISSING',
    });
    expect(gone.ready).toBe(false);

    const down = await evaluateReadiness(
      setUp(history(), { probe: { kind: 'error', detail: 'ServiceUnavailableException' } }).ports,
      'prod',
    );
    expect(down.checks[3]).toEqual({
      name: 'redeploy-target',
      status: 'SKIPPED',
      detail: 'could not check: ServiceUnavailableException',
    });
    expect(down.ready).toBe(true);
  });

  it('passes a configured target that has nothing in AWS to look up without probing', async () => {
    const callback: RedeployTarget = {
      via: 'callback',
      timeoutMinutes: 30,
      pollSeconds: 30,
      verify: { alarms: [], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
    };
    const { ports, calls } = setUp(history(), { targets: { prod: callback } });
    const readiness = await evaluateReadiness(ports, 'prod');
    expect(readiness.checks[3]).toMatchObject({
      status: 'PASSED',
      detail: 'callback configured (nothing in AWS to look up)',
    });
    expect(readiness.checks[4]).toMatchObject({ name: 'verify', status: 'SKIPPED' });
    expect(readiness.checks[4]?.detail).toMatch(/no verify alarms configured/);
    expect(calls.probes).toBe(0);
  });

  it('checks the verify alarms: missing ones FAILED by name, CloudWatch down SKIPPED', async () => {
    const missing = await evaluateReadiness(
      setUp(history(), { alarms: { kind: 'ok', missing: ['prod-latency'] } }).ports,
      'prod',
    );
    expect(missing.checks[4]).toEqual({
      name: 'verify',
      status: 'FAILED',
      detail: 'verify alarm(s) not found in CloudWatch: prod-latency',
    });
    const down = await evaluateReadiness(
      setUp(history(), { alarms: { kind: 'error', detail: 'ThrottlingException: Rate exceeded' } }).ports,
      'prod',
    );
    expect(down.checks[4]).toEqual({
      name: 'verify',
      status: 'SKIPPED',
      detail: 'could not check: ThrottlingException: Rate exceeded',
    });
  });

  it('reads at most READINESS_WALK_LIMIT records, and says so when the limit hides the target', async () => {
    const records = [
      deploymentFixture({ imageTag: 'v1' }),
      ...Array.from({ length: READINESS_WALK_LIMIT + 50 }, () =>
        deploymentFixture({ imageTag: 'broken', status: 'FAILED' }),
      ),
    ];
    const { store, ports } = setUp(records);
    let read = 0;
    const iterate = store.iterate.bind(store);
    store.iterate = async function* (environment: string) {
      for await (const r of iterate(environment)) {
        read += 1;
        yield r;
      }
    };
    const readiness = await evaluateReadiness(ports, 'prod');
    expect(read).toBeLessThanOrEqual(READINESS_WALK_LIMIT + 1);
    expect(readiness.checks[0]).toMatchObject({ name: 'target', status: 'SKIPPED' });
    expect(readiness.checks[0]?.detail).toContain(`newest ${READINESS_WALK_LIMIT} records`);
  });
});

describe('transitionOf', () => {
  const at = '2026-12-02T10:00:00.000Z';
  const ready: ReadinessSummary = { ready: true, checkedAt: at, failing: [] };
  const notReady: ReadinessSummary = { ready: false, checkedAt: at, failing: ['image'] };
  it('is silent on the first evaluation and without a change', () => {
    expect(transitionOf(null, notReady)).toBeNull();
    expect(transitionOf(null, ready)).toBeNull();
    expect(transitionOf(ready, ready)).toBeNull();
    expect(transitionOf(notReady, { ...notReady, failing: ['image', 'verify'] })).toBeNull();
  });
  it('is lost from ready to not ready, restored back', () => {
    expect(transitionOf(ready, notReady)).toBe('lost');
    expect(transitionOf(notReady, ready)).toBe('restored');
  });
});

/** A store of summaries with the real one's condition: the write lands only on the summary read. */
class MemoryReadiness implements ReadinessStore {
  stored: ReadinessSummary | null = null;
  readonly events: OutboxEvent[] = [];
  /** Runs once, between a refresh's read and its write (a concurrent refresh landing first). */
  meanwhile?: () => void;
  async readinessOf() {
    return this.stored;
  }
  async saveReadiness(_e: string, next: ReadinessSummary, previous: ReadinessSummary | null, events: OutboxEvent[]) {
    const race = this.meanwhile;
    this.meanwhile = undefined;
    race?.();
    if (JSON.stringify(this.stored) !== JSON.stringify(previous)) return false;
    this.stored = next;
    this.events.push(...events);
    return true;
  }
}

describe('refreshReadiness', () => {
  let ids = 0;
  const refreshPorts = (base: ReadinessPorts, readinessStore: ReadinessStore) => ({
    ...base,
    readinessStore,
    newId: () => `01JEVENT${String(++ids).padStart(18, '0')}`,
  });

  it('publishes nothing on the first evaluation, LOST on losing readiness, RESTORED on regaining it', async () => {
    const store = new MemoryReadiness();
    const good = setUp(history());
    const first = await refreshReadiness(refreshPorts(good.ports, store), 'prod');
    expect(first).toMatchObject({ kind: 'stored', published: null });
    expect(store.stored).toEqual({ ready: true, checkedAt: '2026-12-02T10:00:00.000Z', failing: [] });
    expect(store.events).toEqual([]);

    const bad = setUp(history(), { image: { kind: 'gone', reason: 'image not found' } });
    bad.ports.now = () => new Date('2026-12-02T10:01:00.000Z');
    await refreshReadiness(refreshPorts(bad.ports, store), 'prod');
    expect(store.events.map((e) => e.message.eventType)).toEqual(['ROLLBACK_READINESS_LOST']);
    expect(store.events[0]?.message).toMatchObject({
      environment: 'prod',
      readiness: { ready: false, failing: ['image'] },
      checks: [{ name: 'image', status: 'FAILED' }],
    });

    // Still not ready: nothing more.
    bad.ports.now = () => new Date('2026-12-02T10:02:00.000Z');
    await refreshReadiness(refreshPorts(bad.ports, store), 'prod');
    expect(store.events).toHaveLength(1);

    good.ports.now = () => new Date('2026-12-02T10:03:00.000Z');
    await refreshReadiness(refreshPorts(good.ports, store), 'prod');
    expect(store.events.map((e) => e.message.eventType)).toEqual([
      'ROLLBACK_READINESS_LOST',
      'ROLLBACK_READINESS_RESTORED',
    ]);
  });

  it('publishes a transition once when a concurrent refresh stored it first', async () => {
    const store = new MemoryReadiness();
    store.stored = { ready: true, checkedAt: '2026-12-02T09:00:00.000Z', failing: [] };
    const bad = setUp(history(), { image: { kind: 'gone', reason: 'image not found' } });
    const ports = refreshPorts(bad.ports, store);
    // The other refresh stores the same transition (and its LOST) between this one's read and write.
    store.meanwhile = () => {
      store.stored = { ready: false, checkedAt: '2026-12-02T09:59:59.000Z', failing: ['image'] };
      store.events.push({ subject: 'other', message: { eventType: 'ROLLBACK_READINESS_LOST' } } as never);
    };
    const outcome = await refreshReadiness(ports, 'prod');
    expect(outcome).toMatchObject({ kind: 'stored', published: null });
    expect(store.events).toHaveLength(1);
    expect(store.stored?.checkedAt).toBe('2026-12-02T10:00:00.000Z');
  });

  it('keeps a summary checked later than its own evaluation, and leaves environments without records alone', async () => {
    const store = new MemoryReadiness();
    store.stored = { ready: false, checkedAt: '2026-12-02T11:00:00.000Z', failing: ['image'] };
    expect(await refreshReadiness(refreshPorts(setUp(history()).ports, store), 'prod')).toEqual({ kind: 'superseded' });
    expect(store.events).toEqual([]);
    expect(await refreshReadiness(refreshPorts(setUp(history()).ports, store), 'staging')).toEqual({
      kind: 'no-environment',
    });
  });
});
