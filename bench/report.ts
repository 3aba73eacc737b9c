/**
 * The benchmark's one table and its budgets: every figure with the budget it is held to and
 * a PASS / FAIL verdict, printed and written as JSON from the same rows.
 */
import type { BundleReport } from './bundles.js';
import type { CallCost } from './capacity.js';
import type { InitTime } from './init-time.js';
import type { Latency } from './latency.js';
import { ratio, round } from './lib/stats.js';
import type { Throughput } from './throughput.js';

/** The budgets, as the issue states them. */
export const BUDGETS = {
  historyPage5Rcu: 0.5,
  capacityGrowth: 1.1,
  /** A windowed read (metrics) ≤ this × one plain Query of its window: it reads the window, not the history. */
  windowRatio: 1.1,
  bundleRatio: 1.15,
  ownCodeKb: 25,
  initRatio: 1.15,
  handlerOverheadMs: 1,
} as const;

export interface Row {
  area: string;
  item: string;
  figure: string;
  budget: string;
  /** 'PASS', 'FAIL: <which budget>', or '' for a figure without a budget. */
  verdict: string;
}

export interface Check {
  budget: string;
  item: string;
  value: number;
  limit: number;
  pass: boolean;
}

const kb = (bytes: number) => bytes / 1024;
const f = (value: number, digits = 2) => round(value, digits).toFixed(digits);

export function buildRows(input: {
  bundles: BundleReport;
  init: InitTime[];
  capacity: CallCost[];
  latency: Latency[];
  throughput: Throughput[];
}): { rows: Row[]; checks: Check[] } {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const check = (budget: string, item: string, value: number, limit: number) => {
    const result = { budget, item, value: round(value, 3), limit, pass: value <= limit };
    checks.push(result);
    return result;
  };
  const verdict = (results: Check[]) => {
    const failed = new Set(results.filter((r) => !r.pass).map((r) => r.budget));
    return failed.size ? `FAIL: ${[...failed].join(', ')}` : 'PASS';
  };

  // A function that uses no SDK client has nothing to compare with: its whole bundle is its own cost.
  const comparable = (key: string) => (input.bundles.references[key]?.clients.length ?? 0) > 0;
  for (const b of input.bundles.functions) {
    const reference = input.bundles.references[b.reference];
    if (!reference) continue;
    const size = ratio(b.bytes, reference.bytes);
    const own = check('own code', b.id, kb(b.ownBytes), BUDGETS.ownCodeKb);
    rows.push(
      comparable(b.reference)
        ? {
            area: 'bundle',
            item: b.id,
            figure: `${f(kb(b.bytes), 1)} KB = ${f(size)}× ref ${f(kb(reference.bytes), 1)} KB; own ${f(kb(b.ownBytes), 1)} KB`,
            budget: `≤ ${BUDGETS.bundleRatio}× ref; own ≤ ${BUDGETS.ownCodeKb} KB`,
            verdict: verdict([check('bundle size', b.id, size, BUDGETS.bundleRatio), own]),
          }
        : {
            area: 'bundle',
            item: b.id,
            figure: `${f(kb(b.bytes), 1)} KB, no SDK client; own ${f(kb(b.ownBytes), 1)} KB`,
            budget: `own ≤ ${BUDGETS.ownCodeKb} KB`,
            verdict: verdict([own]),
          },
    );
  }
  for (const t of input.init) {
    const r = ratio(t.medianMs, t.referenceMedianMs);
    const compared = comparable(t.reference);
    rows.push({
      area: 'init',
      item: t.id,
      figure: compared
        ? `median ${f(t.medianMs, 1)} ms = ${f(r)}× ref ${f(t.referenceMedianMs, 1)} ms (${t.runs} runs)`
        : `median ${f(t.medianMs, 1)} ms, no SDK client (${t.runs} runs)`,
      budget: compared ? `≤ ${BUDGETS.initRatio}× ref` : '-',
      verdict: compared ? verdict([check('init time', t.id, r, BUDGETS.initRatio)]) : '',
    });
  }
  for (const c of input.capacity) {
    const growth = ratio(c.large.read + c.large.write, c.small.read + c.small.write);
    if (c.window) {
      const { small, large } = c.window;
      const over = (side: 'small' | 'large') => ratio(c[side].read, c.window?.[side].read ?? 0);
      rows.push({
        area: 'capacity',
        item: c.call,
        figure: `1k: ${f(c.small.read, 1)} RCU, window ${small.records} rec ${f(small.read, 1)} RCU | 100k: ${f(c.large.read, 1)} RCU (${c.large.requests} req), window ${large.records} rec ${f(large.read, 1)} RCU`,
        budget: `≤ ${BUDGETS.windowRatio}× a Query of the window`,
        verdict: verdict([
          check('windowed read', `${c.call}, 1k`, over('small'), BUDGETS.windowRatio),
          check('windowed read', `${c.call}, 100k`, over('large'), BUDGETS.windowRatio),
        ]),
      });
      continue;
    }
    const results = [check('capacity growth', c.call, growth, BUDGETS.capacityGrowth)];
    let budget = `100k/1k ≤ ${BUDGETS.capacityGrowth}`;
    if (c.call === 'history, page of 5') {
      results.push(check('history page of 5', '1k records', c.small.read, BUDGETS.historyPage5Rcu));
      results.push(check('history page of 5', '100k records', c.large.read, BUDGETS.historyPage5Rcu));
      budget += `; ≤ ${BUDGETS.historyPage5Rcu} RCU`;
    }
    const units = (side: 'small' | 'large') =>
      [c[side].read ? `${f(c[side].read, 1)} RCU` : '', c[side].write ? `${f(c[side].write, 1)} WCU` : '']
        .filter(Boolean)
        .join(' + ') || '0';
    rows.push({
      area: 'capacity',
      item: c.call,
      figure: `1k: ${units('small')} | 100k: ${units('large')} (${c.large.requests} req) = ${f(growth)}×`,
      budget,
      verdict: verdict(results),
    });
  }
  for (const l of input.latency) {
    const over = l.handler.p50 - l.floor.p50;
    // Without a DynamoDB request there is no floor to compare the p99 with.
    const p99 = l.requests ? `${f(ratio(l.handler.p99, l.floor.p99))}×` : 'n/a';
    rows.push({
      area: 'latency',
      item: l.route,
      figure: `p50 ${f(l.handler.p50)} vs floor ${f(l.floor.p50)} ms (+${f(over)}); p99 ${f(l.handler.p99)} vs ${f(l.floor.p99)} ms = ${p99} (${l.requests} req, ${l.calls} calls)`,
      budget: `p50 ≤ floor + ${BUDGETS.handlerOverheadMs} ms`,
      verdict: verdict([check('handler overhead', l.route, over, BUDGETS.handlerOverheadMs)]),
    });
  }
  for (const t of input.throughput) {
    rows.push({
      area: 'local API',
      item: `${t.workload}, ${t.connections} conn`,
      figure: `${f(t.requestsPerSecond, 0)} req/s, p99 ${f(t.p99Ms, 0)} ms${t.errors ? `, ${t.errors} errors` : ''} (${t.seconds} s)`,
      budget: '-',
      verdict: '',
    });
  }
  return { rows, checks };
}

/** The rows as one fixed-width text table. */
export function formatTable(rows: Row[]): string {
  const header: Row = { area: 'area', item: 'item', figure: 'figure', budget: 'budget', verdict: 'verdict' };
  const keys = ['area', 'item', 'figure', 'budget', 'verdict'] as const;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  const line = (r: Row) =>
    keys
      .map((k, i) => r[k].padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
