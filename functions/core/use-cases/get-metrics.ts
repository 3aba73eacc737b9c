import { authorize } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { InvalidInputError } from '../errors.js';
import { computeMetrics, type Interval, type Metrics, needsLookahead, type Period } from '../metrics.js';
import type { ReadPorts } from '../ports.js';
import type { MetricsQuery } from '../schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The window when `from` is not given: the last 90 days, `to` included. */
export const DEFAULT_WINDOW_DAYS = 90;
/** The longest window, in days, both ends included (a leap year). */
export const MAX_WINDOW_DAYS = 366;
/** Records read per request past the window's end, while a failure still waits for its recovery. */
const LOOKAHEAD_PAGE = 25;

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const day = (date: string) => Date.parse(`${date}T00:00:00.000Z`);

export interface MetricsReport extends Metrics {
  environment: string;
  from: string;
  to: string;
  interval: Interval;
}

/**
 * Resolves the asked window: `to` defaults to today (UTC), `from` to 89 days before `to` (so
 * 90 days with both ends). Refuses `from` after `to` and a window over 366 days, naming the
 * field to fix.
 */
export function windowOf(query: Pick<MetricsQuery, 'from' | 'to'>, now: Date): Period {
  const end = query.to ?? dateOf(now.getTime());
  const start = query.from ?? dateOf(day(end) - (DEFAULT_WINDOW_DAYS - 1) * DAY_MS);
  if (start > end) {
    throw new InvalidInputError([{ field: 'from', message: `must not be after to (${end})` }]);
  }
  const days = (day(end) - day(start)) / DAY_MS + 1;
  if (days > MAX_WINDOW_DAYS) {
    throw new InvalidInputError([
      {
        field: query.from === undefined ? 'to' : 'from',
        message: `the window from ${start} to ${end} is ${days} days; it may be at most ${MAX_WINDOW_DAYS}`,
      },
    ]);
  }
  return { start, end };
}

/**
 * The DORA metrics of one environment over a window of whole UTC days.
 *
 * 1. Resolves the window (windowOf): defaults, and the 400s for a bad one.
 * 2. Reads the window's records: one Query on the sort key's time range, never the whole
 *    history.
 * 3. While a failed deployment of the window has no DEPLOYED record after it yet, reads on
 *    past the window's end, a small page at a time, for its recovery (needsLookahead); the
 *    records read there are counted in no figure.
 * 4. Computes the summary and the series (core/metrics.ts).
 */
export async function getMetrics(ports: ReadPorts, query: MetricsQuery): Promise<MetricsReport> {
  authorize(ports, query.environment, 'read');
  const window = windowOf(query, ports.now());
  const inWindow: Deployment[] = [];
  for await (const page of ports.deployments.range(query.environment, { from: window.start, to: window.end })) {
    inWindow.push(...page);
  }
  const after: Deployment[] = [];
  if (needsLookahead(inWindow, inWindow)) {
    // `~` sorts above every timestamp character: the range starts right after the window's last day.
    const past = ports.deployments.range(query.environment, { from: `${window.end}~` }, { pageSize: LOOKAHEAD_PAGE });
    lookahead: for await (const page of past) {
      for (const record of page) {
        after.push(record);
        // Every record here is later than every failure of the window: the first DEPLOYED one
        // gives each failure still waiting a recovery, and nothing further can change that.
        if (record.status === 'DEPLOYED') break lookahead;
      }
    }
  }
  const metrics = computeMetrics(inWindow, after, window, query.interval);
  return { environment: query.environment, from: window.start, to: window.end, interval: query.interval, ...metrics };
}
