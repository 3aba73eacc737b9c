import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { computeMetrics, failedIds, percentile, periodsOf, recoveryOf, spread } from '../../functions/core/metrics.js';
import { MetricsQuery } from '../../functions/core/schemas.js';
import { getMetrics, windowOf } from '../../functions/core/use-cases/get-metrics.js';
import { deploymentFixture } from '../support/fixtures.js';
import { memoryPorts } from '../support/memory-store.js';

const HOUR = 3_600_000;
/** Monday 2026-11-02, 00:00 UTC: hand-built histories count from here. */
const T0 = Date.parse('2026-11-02T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** A record deployed `ms` after T0 (commitAt `leadS` seconds before it, where given). */
function dep(ms: number, over: Partial<Deployment> & { leadS?: number; rolledBackAfterS?: number } = {}): Deployment {
  const { leadS, rolledBackAfterS, ...rest } = over;
  return deploymentFixture({
    deployedAt: at(ms),
    commitAt: leadS === undefined ? null : at(ms - leadS * 1000),
    ...(rolledBackAfterS === undefined
      ? {}
      : { status: 'ROLLED_BACK', rolledBackAt: at(ms + rolledBackAfterS * 1000), rolledBackBy: 'ops' }),
    ...rest,
  });
}

const WEEK = { start: '2026-11-02', end: '2026-11-08' };

describe('percentile and spread', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(percentile([5, 1, 3], 0.5)).toBe(3);
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
  });

  it('interpolates p90 between the two nearest ranks', () => {
    expect(percentile([1800, 3600], 0.9)).toBe(3420);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 0.9)).toBe(100);
    expect(percentile([3600, 7200, 10800, 14400, 19200], 0.9)).toBeCloseTo(17280);
  });

  it('gives null for no values and the value itself for one', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([42], 0.9)).toBe(42);
    expect(spread([])).toEqual({ median: null, p90: null });
  });

  it('turns milliseconds into whole seconds', () => {
    expect(spread([1_499, 2_501])).toEqual({ median: 2, p90: 2 });
    expect(spread([1_000, 2_000])).toEqual({ median: 2, p90: 2 });
  });
});

describe("the contract's example, built by hand", () => {
  // Seven live deployments: five forward (A, B, C, D, E), two redeploys undoing B and C.
  // B, C and E were rolled back; E has nothing DEPLOYED after it, so it is unrecovered.
  const A = dep(0, { leadS: 3600 });
  const B = dep(1 * HOUR, { leadS: 7200, rolledBackAfterS: 225 });
  const R1 = dep(1 * HOUR + 1_800_000, { rollbackOf: B.id });
  const C = dep(3 * HOUR, { leadS: 10800, rolledBackAfterS: 975 });
  const R2 = dep(4 * HOUR, { rollbackOf: C.id });
  const failedAttempt = dep(4.5 * HOUR, { status: 'FAILED', leadS: 60 });
  const D = dep(5 * HOUR, { leadS: 14400 });
  const E = dep(6 * HOUR, { leadS: 19200, rolledBackAfterS: 600 });
  const stillRunning = dep(7 * HOUR, { status: 'IN_PROGRESS', leadS: 60 });
  const history = [A, B, R1, C, R2, failedAttempt, D, E, stillRunning];

  it('gives exactly the figures the contract shows', () => {
    const { summary } = computeMetrics(history, [], WEEK, 'all');
    expect(summary).toEqual({
      deploymentFrequency: { count: 7, forward: 5 },
      changeLeadTime: { median: 10800, p90: 17280, count: 5 },
      changeFailRate: { value: 0.4286, numerator: 3, denominator: 7, ids: [B.id, C.id, E.id] },
      failedDeploymentRecoveryTime: {
        median: 2700,
        p90: 3420,
        count: 2,
        detection: { median: 600, p90: 900 },
        restore: { median: 2100, p90: 2520 },
        unrecovered: [E.id],
      },
      reworkRate: { value: 0.2857, numerator: 2, denominator: 7, ids: [R1.id, R2.id] },
    });
  });

  it('does not depend on the order the records come in', () => {
    const shuffled = [E, A, stillRunning, R2, C, failedAttempt, D, R1, B];
    expect(computeMetrics(shuffled, [], WEEK, 'all')).toEqual(computeMetrics(history, [], WEEK, 'all'));
  });

  it('splits the week into days, each with only its own deployments', () => {
    const { series } = computeMetrics(history, [], WEEK, 'day');
    expect(series.map((p) => p.start)).toEqual([
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
      '2026-11-08',
    ]);
    expect(series[0]?.deploymentFrequency).toEqual({ count: 7, forward: 5 });
    expect(series[1]).toMatchObject({
      start: '2026-11-03',
      end: '2026-11-03',
      deploymentFrequency: { count: 0, forward: 0 },
      changeLeadTime: { median: null, p90: null, count: 0 },
      changeFailRate: { value: null, numerator: 0, denominator: 0, ids: [] },
      failedDeploymentRecoveryTime: {
        median: null,
        p90: null,
        count: 0,
        detection: { median: null, p90: null },
        restore: { median: null, p90: null },
        unrecovered: [],
      },
      reworkRate: { value: null, numerator: 0, denominator: 0, ids: [] },
    });
  });
});

describe('which deployments failed, and their recovery', () => {
  it('counts a hotfix that names a deployment in rollbackOf: the named one failed, the hotfix is rework', () => {
    const bad = dep(0, { leadS: 600 });
    const hotfix = dep(2 * HOUR, { rollbackOf: bad.id, imageTag: 'v1.0.1', leadS: 300 });
    const { summary } = computeMetrics([bad, hotfix], [], WEEK, 'all');
    expect(summary.changeFailRate.ids).toEqual([bad.id]);
    expect(summary.reworkRate.ids).toEqual([hotfix.id]);
    // Never rolled back: the total is measured, detection and restore have nothing to split.
    expect(summary.failedDeploymentRecoveryTime).toMatchObject({
      median: 7200,
      count: 1,
      detection: { median: null, p90: null },
      restore: { median: null, p90: null },
    });
    // The lead time counts forward deployments only: the hotfix's 300 s is not in it.
    expect(summary.changeLeadTime).toEqual({ median: 600, p90: 600, count: 1 });
  });

  it('takes the next DEPLOYED record as the recovery where no redeploy names the failure (an old tag deployed again)', () => {
    const good = dep(0, { imageTag: 'v1' });
    const bad = dep(HOUR, { imageTag: 'v2', rolledBackAfterS: 60 });
    const oldAgain = dep(HOUR + 900_000, { imageTag: 'v1' });
    const recovery = recoveryOf(bad, [good, bad, oldAgain]);
    expect(recovery).toMatchObject({
      by: { id: oldAgain.id },
      totalMs: 900_000,
      detectionMs: 60_000,
      restoreMs: 840_000,
    });
    const { summary } = computeMetrics([good, bad, oldAgain], [], WEEK, 'all');
    // A redeploy without rollbackOf is a forward deployment, not rework.
    expect(summary.deploymentFrequency).toEqual({ count: 3, forward: 3 });
    expect(summary.reworkRate.numerator).toBe(0);
  });

  it('prefers the redeploy that names the failure over an earlier unrelated DEPLOYED record', () => {
    const bad = dep(0, { rolledBackAfterS: 60 });
    const other = dep(HOUR);
    const redeploy = dep(2 * HOUR, { rollbackOf: bad.id });
    expect(recoveryOf(bad, [bad, other, redeploy])?.by.id).toBe(redeploy.id);
  });

  it('leaves a failure unrecovered while its redeploy is IN_PROGRESS, FAILED or itself rolled back', () => {
    const bad = dep(0, { rolledBackAfterS: 60 });
    for (const status of ['IN_PROGRESS', 'FAILED', 'ROLLED_BACK'] as const) {
      const redeploy = dep(HOUR, { rollbackOf: bad.id, status });
      const { summary } = computeMetrics([bad, redeploy], [], WEEK, 'all');
      // A redeploy rolled back itself is a failure of its own, unrecovered as well.
      const unrecovered = status === 'ROLLED_BACK' ? [bad.id, redeploy.id] : [bad.id];
      expect(summary.failedDeploymentRecoveryTime).toMatchObject({ count: 0, median: null, unrecovered });
    }
  });

  it('counts a deployment named by a FAILED redeploy as failed, and a FAILED record never as live', () => {
    const bad = dep(0);
    const attempt = dep(HOUR, { rollbackOf: bad.id, status: 'FAILED' });
    const failedOnly = dep(2 * HOUR, { status: 'FAILED' });
    expect([...failedIds([bad, attempt, failedOnly])]).toEqual([bad.id]);
    const { summary } = computeMetrics([bad, attempt, failedOnly], [], WEEK, 'all');
    expect(summary.deploymentFrequency).toEqual({ count: 1, forward: 1 });
    expect(summary.changeFailRate).toMatchObject({ value: 1, numerator: 1, denominator: 1 });
  });

  it('cuts detection at the recovery when the rollback was marked after the redeploy landed', () => {
    const bad = dep(0, { rolledBackAfterS: 3000 });
    const redeploy = dep(1_200_000, { rollbackOf: bad.id });
    expect(recoveryOf(bad, [bad, redeploy])).toMatchObject({
      totalMs: 1_200_000,
      detectionMs: 1_200_000,
      restoreMs: 0,
    });
  });

  it('measures a recovery found past the window without counting the record that made it', () => {
    const bad = dep(6 * HOUR + 6 * 24 * HOUR, { rolledBackAfterS: 120 }); // Sunday 06:00
    const redeploy = dep(8 * 24 * HOUR, { rollbackOf: bad.id }); // the Tuesday after
    const { summary } = computeMetrics([bad], [redeploy], WEEK, 'all');
    expect(summary.deploymentFrequency.count).toBe(1);
    expect(summary.reworkRate.numerator).toBe(0);
    expect(summary.failedDeploymentRecoveryTime).toMatchObject({ count: 1, median: 42 * 3600, unrecovered: [] });
  });

  it('counts a lead time of a commit a little after its deployment (clock skew) as 0, not negative', () => {
    const skewed = dep(0, { commitAt: at(90_000) });
    expect(computeMetrics([skewed], [], WEEK, 'all').summary.changeLeadTime).toEqual({ median: 0, p90: 0, count: 1 });
  });

  it('leaves deployments without commitAt out of the lead time, and says null when none has one', () => {
    const { summary } = computeMetrics([dep(0), dep(HOUR)], [], WEEK, 'all');
    expect(summary.changeLeadTime).toEqual({ median: null, p90: null, count: 0 });
    expect(summary.deploymentFrequency.count).toBe(2);
  });

  it('gives an empty window nulls and empty lists, never a made-up 0', () => {
    const { summary } = computeMetrics([], [], WEEK, 'all');
    expect(summary.changeFailRate.value).toBeNull();
    expect(summary.reworkRate.value).toBeNull();
    expect(summary.failedDeploymentRecoveryTime).toMatchObject({ median: null, p90: null, count: 0, unrecovered: [] });
    expect(summary.deploymentFrequency).toEqual({ count: 0, forward: 0 });
  });

  it('counts a deployment rolled back in a later period as failed in its own period', () => {
    const bad = dep(0, { rolledBackAfterS: 2 * 24 * 3600 });
    const redeploy = dep(2 * 24 * HOUR + HOUR, { rollbackOf: bad.id });
    const { series } = computeMetrics([bad, redeploy], [], WEEK, 'day');
    expect(series[0]?.changeFailRate).toMatchObject({ numerator: 1, ids: [bad.id] });
    expect(series[0]?.failedDeploymentRecoveryTime).toMatchObject({ count: 1, median: 49 * 3600 });
    expect(series[2]?.reworkRate).toMatchObject({ numerator: 1, ids: [redeploy.id] });
    expect(series[2]?.changeFailRate.numerator).toBe(0);
  });
});

describe('periods', () => {
  it('starts weeks on Monday and cuts the first and last to the window', () => {
    expect(periodsOf({ start: '2026-11-01', end: '2026-11-17' }, 'week')).toEqual([
      { start: '2026-11-01', end: '2026-11-01' },
      { start: '2026-11-02', end: '2026-11-08' },
      { start: '2026-11-09', end: '2026-11-15' },
      { start: '2026-11-16', end: '2026-11-17' },
    ]);
  });

  it('follows calendar months, February of a leap year included', () => {
    expect(periodsOf({ start: '2028-01-30', end: '2028-03-02' }, 'month')).toEqual([
      { start: '2028-01-30', end: '2028-01-31' },
      { start: '2028-02-01', end: '2028-02-29' },
      { start: '2028-03-01', end: '2028-03-02' },
    ]);
  });

  it('has one period per day, and one for the whole window with all', () => {
    expect(periodsOf({ start: '2026-12-31', end: '2027-01-01' }, 'day')).toEqual([
      { start: '2026-12-31', end: '2026-12-31' },
      { start: '2027-01-01', end: '2027-01-01' },
    ]);
    expect(periodsOf({ start: '2026-01-01', end: '2026-12-31' }, 'all')).toEqual([
      { start: '2026-01-01', end: '2026-12-31' },
    ]);
    expect(periodsOf({ start: '2026-11-04', end: '2026-11-04' }, 'week')).toEqual([
      { start: '2026-11-04', end: '2026-11-04' },
    ]);
  });
});

describe('the window', () => {
  const now = new Date('2026-11-29T15:00:00.000Z');

  it('defaults to the last 90 days, today included', () => {
    expect(windowOf({}, now)).toEqual({ start: '2026-09-01', end: '2026-11-29' });
    expect(windowOf({ to: '2026-03-31' }, now)).toEqual({ start: '2026-01-01', end: '2026-03-31' });
  });

  it('takes 366 days and refuses 367, and refuses from after to', () => {
    expect(windowOf({ from: '2027-01-01', to: '2028-01-01' }, now)).toEqual({ start: '2027-01-01', end: '2028-01-01' });
    expect(() => windowOf({ from: '2027-01-01', to: '2028-01-02' }, now)).toThrow(/367 days/);
    expect(() => windowOf({ from: '2026-11-30', to: '2026-11-29' }, now)).toThrow(/from: must not be after to/);
    expect(() => windowOf({ from: '2025-01-01' }, now)).toThrow(/at most 366/);
  });

  it.each([
    [{ from: '2026-02-30' }, 'from'],
    [{ to: '2026-1-05' }, 'to'],
    [{ to: '2026-11-29T00:00:00Z' }, 'to'],
    [{ interval: 'quarter' }, 'interval'],
    [{}, 'environment'],
  ])('refuses %j in the query', (query, field) => {
    const result = MetricsQuery.safeParse({
      environment: 'prod',
      ...query,
      ...(field === 'environment' ? { environment: 'Prod!' } : {}),
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });

  it('reads the window edges inclusive, and reads past it only for a recovery', async () => {
    const { ports, store } = memoryPorts(now);
    const put = (r: Deployment) => store.create(r);
    const before = dep(0, { deployedAt: '2026-10-31T23:59:59.999Z' });
    const first = dep(0, { deployedAt: '2026-11-01T00:00:00.000Z' });
    const last = dep(0, { deployedAt: '2026-11-07T23:59:59.999Z', rolledBackAfterS: 0 });
    const redeploy = dep(0, { deployedAt: '2026-11-08T00:10:00.000Z', rollbackOf: last.id });
    const after = dep(0, { deployedAt: '2026-11-08T01:00:00.000Z' });
    for (const r of [before, first, last, redeploy, after]) await put(r);
    const report = await getMetrics(ports, {
      environment: 'prod',
      from: '2026-11-01',
      to: '2026-11-07',
      interval: 'week',
    });
    expect(report).toMatchObject({ environment: 'prod', from: '2026-11-01', to: '2026-11-07', interval: 'week' });
    expect(report.summary.deploymentFrequency).toEqual({ count: 2, forward: 2 });
    expect(report.summary.changeFailRate.ids).toEqual([last.id]);
    expect(report.summary.failedDeploymentRecoveryTime).toMatchObject({ count: 1, median: 600, unrecovered: [] });
    expect(report.series.map((p) => [p.start, p.end, p.deploymentFrequency.count])).toEqual([
      ['2026-11-01', '2026-11-01', 1],
      ['2026-11-02', '2026-11-07', 1],
    ]);
  });
});
