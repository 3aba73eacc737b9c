/**
 * The DORA figures of an environment, computed from deployment records alone: plain
 * functions, no store and no clock. docs/METRICS.md says in words what each one counts;
 * the choices its definitions leave open are written there and next to the code.
 */
import { type Deployment, newestFirst } from './deployment.js';

export const INTERVALS = ['day', 'week', 'month', 'all'] as const;
export type Interval = (typeof INTERVALS)[number];

/** A span of whole UTC days, both ends inclusive, as `YYYY-MM-DD`. */
export interface Period {
  start: string;
  end: string;
}

/** Median and p90 over measured values: null, never 0, when nothing was measured. */
export interface Spread {
  median: number | null;
  p90: number | null;
}

export interface Ratio {
  /** numerator ÷ denominator, to four decimals; null when the denominator is 0. */
  value: number | null;
  numerator: number;
  denominator: number;
  /** The numerator's records, oldest first, so a reader can check the ratio. */
  ids: string[];
}

export interface Figures {
  deploymentFrequency: { count: number; forward: number };
  changeLeadTime: Spread & { count: number };
  changeFailRate: Ratio;
  failedDeploymentRecoveryTime: Spread & {
    count: number;
    detection: Spread;
    restore: Spread;
    unrecovered: string[];
  };
  reworkRate: Ratio;
}

export interface Metrics {
  summary: Figures;
  series: (Period & Figures)[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The records that reached the environment: DEPLOYED, or DEPLOYED once and rolled back since. */
export const isLive = (r: Deployment) => r.status === 'DEPLOYED' || r.status === 'ROLLED_BACK';

/**
 * The value at rank `p` (0..1) of `values`, interpolated linearly between the two nearest
 * ranks (rank = p × (n − 1), as spreadsheets' PERCENTILE.INC and numpy's default do), so
 * the median of an even count is the mean of the middle two. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = sorted[lo] as number;
  const high = sorted[hi] as number;
  return low + (rank - lo) * (high - low);
}

/** Median and p90 of durations in milliseconds, as whole seconds. */
export function spread(durationsMs: readonly number[]): Spread {
  const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
  return { median: seconds(percentile(durationsMs, 0.5)), p90: seconds(percentile(durationsMs, 0.9)) };
}

function ratio(numerator: Deployment[], denominator: number): Ratio {
  return {
    value: denominator === 0 ? null : Math.round((numerator.length / denominator) * 10_000) / 10_000,
    numerator: numerator.length,
    denominator,
    ids: numerator.map((r) => r.id),
  };
}

/** What a failed deployment's recovery measured: the total, and its split where there is one. */
export interface Recovery {
  /** The record that restored the environment. */
  by: Deployment;
  totalMs: number;
  /** Present where the failed deployment carries `rolledBackAt`. */
  detectionMs?: number;
  restoreMs?: number;
}

/**
 * Which of the window's live deployments failed: those rolled back, and those named by the
 * `rollbackOf` of a record of the window (any status: a redeploy that failed still says the
 * deployment it meant to undo was bad). A record after the window that names one is not
 * seen: whether a deployment failed is judged on the window's own records, so the same
 * window always gives the same answer for the same history.
 */
export function failedIds(windowRecords: readonly Deployment[]): Set<string> {
  const named = new Set(windowRecords.map((r) => r.rollbackOf).filter((id): id is string => id !== null));
  return new Set(
    windowRecords.filter((r) => isLive(r) && (r.status === 'ROLLED_BACK' || named.has(r.id))).map((r) => r.id),
  );
}

/**
 * The recovery of failed deployment `failed`, looked for in `records` (every record read,
 * the window's and those after it): the first DEPLOYED record after it whose `rollbackOf` is
 * its id, else the first DEPLOYED record after it. Only a record whose status is DEPLOYED
 * now counts: a redeploy still IN_PROGRESS, FAILED, or itself rolled
 * back since did not restore the environment for good. Undefined: not recovered (yet).
 *
 * Detection is `rolledBackAt − deployedAt`, restore the rest up to the recovery. Where the
 * rollback was marked after the recovering record was written (a pipeline that redeploys
 * first and marks later), detection is counted up to the recovery and restore is 0, so the
 * two always add up to the total.
 */
export function recoveryOf(failed: Deployment, records: readonly Deployment[]): Recovery | undefined {
  return recoveryIndex(records)(failed);
}

/**
 * recoveryOf for many failures over one set of records: sorts once and indexes the DEPLOYED
 * records (the first naming each id, and the next one after each position), so a window of
 * 100,000 records with many failures costs one sort, not one per failure.
 */
function recoveryIndex(records: readonly Deployment[]): (failed: Deployment) => Recovery | undefined {
  const ascending = [...records].sort(newestFirst).reverse();
  const deployed = ascending.filter((r) => r.status === 'DEPLOYED');
  const firstNaming = new Map<string, Deployment>();
  for (const r of deployed) {
    if (r.rollbackOf !== null && !firstNaming.has(r.rollbackOf)) firstNaming.set(r.rollbackOf, r);
  }
  /** The first DEPLOYED record after `failed` (binary search in `deployed`, which is ascending). */
  const nextDeployed = (failed: Deployment) => {
    let lo = 0;
    let hi = deployed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newestFirst(deployed[mid] as Deployment, failed) < 0) hi = mid;
      else lo = mid + 1;
    }
    return deployed[lo];
  };
  return (failed) => {
    const naming = firstNaming.get(failed.id);
    const by = naming && newestFirst(naming, failed) < 0 ? naming : nextDeployed(failed);
    if (!by) return undefined;
    const deployedAt = Date.parse(failed.deployedAt);
    const recoveredAt = Date.parse(by.deployedAt);
    const recovery: Recovery = { by, totalMs: recoveredAt - deployedAt };
    if (failed.rolledBackAt !== null) {
      const detectedAt = Math.min(Date.parse(failed.rolledBackAt), recoveredAt);
      recovery.detectionMs = Math.max(0, detectedAt - deployedAt);
      recovery.restoreMs = recoveredAt - Math.max(detectedAt, deployedAt);
    }
    return recovery;
  };
}

/**
 * The lead time of one deployment: `deployedAt − commitAt`. A commit time up to a few
 * minutes after the deployment (a skewed clock; the service refuses more) counts as 0.
 */
function leadTimeMs(r: Deployment): number | undefined {
  if (r.commitAt === null) return undefined;
  return Math.max(0, Date.parse(r.deployedAt) - Date.parse(r.commitAt));
}

/**
 * The five figures over `records` (the deployments counted: those of one period), given
 * which deployments failed, the recoveries found for them, and each record's lead time.
 */
export function figuresOf(
  records: readonly Deployment[],
  failed: ReadonlySet<string>,
  recoveries: ReadonlyMap<string, Recovery>,
  leadTimeOf: (r: Deployment) => number | undefined,
): Figures {
  const live = records.filter(isLive).sort(newestFirst).reverse();
  const forward = live.filter((r) => r.rollbackOf === null);
  const leadTimes = forward.map(leadTimeOf).filter((ms): ms is number => ms !== undefined);
  const failures = live.filter((r) => failed.has(r.id));
  const recovered = failures.map((r) => recoveries.get(r.id)).filter((r): r is Recovery => r !== undefined);
  const split = recovered.filter((r) => r.detectionMs !== undefined);
  return {
    deploymentFrequency: { count: live.length, forward: forward.length },
    changeLeadTime: { ...spread(leadTimes), count: leadTimes.length },
    changeFailRate: ratio(failures, live.length),
    failedDeploymentRecoveryTime: {
      ...spread(recovered.map((r) => r.totalMs)),
      count: recovered.length,
      detection: spread(split.map((r) => r.detectionMs as number)),
      restore: spread(split.map((r) => r.restoreMs as number)),
      unrecovered: failures.filter((r) => !recoveries.has(r.id)).map((r) => r.id),
    },
    reworkRate: ratio(
      live.filter((r) => r.rollbackOf !== null),
      live.length,
    ),
  };
}

const day = (date: string) => Date.parse(`${date}T00:00:00.000Z`);
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The periods of `interval` that cover `window`, each cut to the window, so every deployment
 * of the window falls in exactly one: days; weeks from Monday to Sunday (ISO 8601, UTC);
 * calendar months; or the whole window (`all`).
 */
export function periodsOf(window: Period, interval: Interval): Period[] {
  if (interval === 'all') return [{ ...window }];
  const last = day(window.end);
  const periods: Period[] = [];
  for (let start = day(window.start); start <= last; ) {
    const d = new Date(start);
    let next: number;
    if (interval === 'day') next = start + DAY_MS;
    else if (interval === 'week') next = start + (7 - ((d.getUTCDay() + 6) % 7)) * DAY_MS;
    else next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    periods.push({ start: dateOf(start), end: dateOf(Math.min(next - DAY_MS, last)) });
    start = next;
  }
  return periods;
}

/**
 * The metrics of `window`: the summary over all of it and one entry per period.
 *
 * 1. Judges which of the window's live deployments failed (failedIds).
 * 2. Finds each failure's recovery among every record given, the window's and `after`
 *    (records read past the window's end: they only ever serve as recoveries, and are
 *    counted in no figure).
 * 3. Computes the five figures over the whole window, then over each period's deployments
 *    (a deployment counts in the period of its own deployedAt).
 */
export function computeMetrics(
  windowRecords: readonly Deployment[],
  after: readonly Deployment[],
  window: Period,
  interval: Interval,
): Metrics {
  const failed = failedIds(windowRecords);
  const recover = recoveryIndex([...windowRecords, ...after]);
  const recoveries = new Map<string, Recovery>();
  for (const r of windowRecords) {
    if (!failed.has(r.id)) continue;
    const recovery = recover(r);
    if (recovery) recoveries.set(r.id, recovery);
  }
  // Each lead time once (two date parses a record): the summary and the record's period both count it.
  const leadTimes = new Map(windowRecords.map((r) => [r.id, leadTimeMs(r)]));
  const leadTimeOf = (r: Deployment) => leadTimes.get(r.id);
  const periods = periodsOf(window, interval);
  const buckets = bucketsOf(windowRecords, periods);
  const series = periods.map((period, i) => ({
    ...period,
    ...figuresOf(buckets[i] ?? [], failed, recoveries, leadTimeOf),
  }));
  return { summary: figuresOf(windowRecords, failed, recoveries, leadTimeOf), series };
}

/**
 * Each period's records (a record falls in the period of its own deployedAt), in one pass:
 * the periods are consecutive and ascending, so a binary search on their starts finds a
 * record's one. A window of a year by day is then 365 lookups' worth per record, not 365
 * scans of the window. Records outside every period are left out.
 */
function bucketsOf(records: readonly Deployment[], periods: readonly Period[]): Deployment[][] {
  const buckets = periods.map((): Deployment[] => []);
  for (const r of records) {
    const date = r.deployedAt.slice(0, 10);
    let lo = 0;
    let hi = periods.length;
    // The last period whose start is on or before `date`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((periods[mid] as Period).start <= date) lo = mid + 1;
      else hi = mid;
    }
    const period = periods[lo - 1];
    if (period && date <= period.end) buckets[lo - 1]?.push(r);
  }
  return buckets;
}

/**
 * Whether reading further past the window could still change the answer: some failure of
 * the window has no DEPLOYED record after it among `records` yet. Once every failure has
 * one, the first DEPLOYED record naming it would have to come after another DEPLOYED record
 * that already replaced it, and the lookahead stops there (docs/METRICS.md).
 */
export function needsLookahead(windowRecords: readonly Deployment[], records: readonly Deployment[]): boolean {
  const failed = failedIds(windowRecords);
  if (failed.size === 0) return false;
  let lastDeployed: Deployment | undefined;
  for (const r of records) {
    if (r.status === 'DEPLOYED' && (!lastDeployed || newestFirst(r, lastDeployed) < 0)) lastDeployed = r;
  }
  // Every failure has a DEPLOYED record after it exactly when the newest failure does.
  const newestFailure = windowRecords.filter((r) => failed.has(r.id)).sort(newestFirst)[0] as Deployment;
  return !lastDeployed || newestFirst(lastDeployed, newestFailure) >= 0;
}
