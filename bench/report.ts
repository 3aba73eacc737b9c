/**
 * The benchmark's one table and its budgets: every figure with the budget it is held to and
 * a PASS / FAIL verdict, printed and written as JSON from the same rows.
 */
import type { BundleReport } from './bundles.js';
import type { CallCost } from './capacity.js';
import type { CliTimes } from './cli.js';
import type { ColdCall } from './cold-call.js';
import type { Latency } from './latency.js';
import { ratio, round } from './lib/stats.js';
import type { Restore } from './restore.js';
import type { Throughput } from './throughput.js';

/**
 * The budgets, as the issues state them. A cold call is judged as a ratio to its SDK-only
 * reference's median in the same run: a fixed margin in ms grows and shrinks with the
 * machine and its load, a ratio of two interleaved medians much less. Size is judged at
 * init (what a cold start reads and compiles), as a margin over the reference at init; the
 * whole bundle (lazily imported chunks included) is a figure without a budget.
 */
export const BUDGETS = {
  historyPage5Rcu: 0.5,
  capacityGrowth: 1.1,
  /** A windowed read (metrics) ≤ this × one plain Query of its window: it reads the window, not the history. */
  windowRatio: 1.1,
  initOverKb: 60,
  ownCodeKb: 25,
  coldCallRatio: 1.1,
  handlerOverheadMs: 1,
  cliHelpMs: 150,
  /** Time to restore, the service's part (alarm → redeploy start + redeploy end → run recorded). */
  restoreP50Ms: 1000,
  restoreP99Ms: 3000,
  /** Record writes spread over many environments ≥ this × history reads at the same connections. */
  spreadWritesVsReads: 0.8,
  /** Errors (non-2xx, timeouts) of record writes into one environment. */
  oneEnvironmentErrors: 0,
  cliPlanRatio: 1.5,
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
  /** A floor, not a ceiling: passes when value ≥ limit. */
  atLeast?: true;
  pass: boolean;
}

const kb = (bytes: number) => bytes / 1024;
const f = (value: number, digits = 2) => round(value, digits).toFixed(digits);

export function buildRows(input: {
  bundles: BundleReport;
  cold: ColdCall[];
  cli: CliTimes;
  capacity: CallCost[];
  latency: Latency[];
  throughput: Throughput[];
  restore: Restore;
}): { rows: Row[]; checks: Check[] } {
  const rows: Row[] = [];
  const checks: Check[] = [];
  const check = (budget: string, item: string, value: number, limit: number, atLeast = false) => {
    const result: Check = {
      budget,
      item,
      value: round(value, 3),
      limit,
      ...(atLeast ? { atLeast: true as const } : {}),
      pass: atLeast ? value >= limit : value <= limit,
    };
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
    const over = kb(b.bytes - reference.bytes);
    const initOver = kb(b.initBytes - reference.initBytes);
    const own = check('own code', b.id, kb(b.ownBytes), BUDGETS.ownCodeKb);
    rows.push(
      comparable(b.reference)
        ? {
            area: 'bundle',
            item: b.id,
            figure: `at init ${f(kb(b.initBytes), 1)} KB = ref ${f(kb(reference.initBytes), 1)} + ${f(initOver, 1)} KB; own ${f(kb(b.ownBytes), 1)} KB; whole bundle ${f(kb(b.bytes), 1)} KB = ref ${f(kb(reference.bytes), 1)} + ${f(over, 1)} KB`,
            budget: `at init ≤ ref + ${BUDGETS.initOverKb} KB; own ≤ ${BUDGETS.ownCodeKb} KB`,
            verdict: verdict([check('size at init', b.id, initOver, BUDGETS.initOverKb), own]),
          }
        : {
            area: 'bundle',
            item: b.id,
            figure: `${f(kb(b.bytes), 1)} KB, no SDK client; own ${f(kb(b.ownBytes), 1)} KB; at init ${f(kb(b.initBytes), 1)} KB`,
            budget: `own ≤ ${BUDGETS.ownCodeKb} KB`,
            verdict: verdict([own]),
          },
    );
  }
  for (const t of input.cold) {
    const over = t.medianMs - t.referenceMedianMs;
    const times = ratio(t.medianMs, t.referenceMedianMs);
    const maps = t.sourceMapsMedianMs - t.medianMs;
    rows.push({
      area: 'cold call',
      item: t.id,
      figure: `median ${f(t.medianMs, 1)} ms = ${f(times)}× ref ${f(t.referenceMedianMs, 1)} (${over < 0 ? '-' : '+'}${f(Math.abs(over), 1)} ms; import ${f(t.importMs, 1)} + call ${f(t.callMs, 1)} vs ${f(t.referenceImportMs, 1)} + ${f(t.referenceCallMs, 1)}); --enable-source-maps ${f(t.sourceMapsMedianMs, 1)} ms (${maps < 0 ? '-' : '+'}${f(Math.abs(maps), 1)}) (${t.requests} req, ${t.runs} runs)`,
      budget: `≤ ${BUDGETS.coldCallRatio}× ref`,
      verdict: verdict([check('cold first call', t.id, times, BUDGETS.coldCallRatio)]),
    });
  }
  const cli = input.cli;
  rows.push({
    area: 'CLI',
    item: '--help (dist/platform-rollback.mjs)',
    figure: `median ${f(cli.helpMs, 0)} ms (node -e 0: ${f(cli.nodeMs, 0)} ms) (${cli.runs} runs)`,
    budget: `≤ ${BUDGETS.cliHelpMs} ms`,
    verdict: verdict([check('CLI --help', 'median', cli.helpMs, BUDGETS.cliHelpMs)]),
  });
  const planRatio = ratio(cli.planMs, cli.plainMs);
  rows.push({
    area: 'CLI',
    item: 'plan, local mode',
    figure: `median ${f(cli.planMs, 0)} ms = ${f(planRatio)}× plain node script ${f(cli.plainMs, 0)} ms (${cli.requests} HTTP requests, ${cli.runs} runs)`,
    budget: `≤ ${BUDGETS.cliPlanRatio}× plain`,
    verdict: verdict([check('CLI plan', 'vs plain node', planRatio, BUDGETS.cliPlanRatio)]),
  });
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
  const r = input.restore;
  rows.push({
    area: 'restore',
    item: 'service overhead of a run (local mode)',
    figure: `p50 ${f(r.total.p50, 0)} ms, p99 ${f(r.total.p99, 0)} ms = alarm → redeploy start p50 ${f(r.toRedeploy.p50, 0)} / p99 ${f(r.toRedeploy.p99, 0)} (of it, to the redeploy step ${f(r.toStep.p50, 0)} / ${f(r.toStep.p99, 0)}) + redeploy end → run recorded p50 ${f(r.toRecorded.p50, 0)} / p99 ${f(r.toRecorded.p99, 0)} ms (${r.runs} runs)`,
    budget: `p50 ≤ ${BUDGETS.restoreP50Ms / 1000} s; p99 ≤ ${BUDGETS.restoreP99Ms / 1000} s`,
    verdict: verdict([
      check('time to restore p50', 'alarm → redeploy + redeploy → recorded', r.total.p50, BUDGETS.restoreP50Ms),
      check('time to restore p99', 'alarm → redeploy + redeploy → recorded', r.total.p99, BUDGETS.restoreP99Ms),
    ]),
  });
  for (const t of input.throughput) {
    const reads = input.throughput.find((r) => r.workload === 'history read' && r.connections === t.connections);
    const figure = `${f(t.requestsPerSecond, 0)} req/s, p99 ${f(t.p99Ms, 0)} ms, ${t.errors} errors (${t.seconds} s)`;
    if (t.workload === 'history read') {
      rows.push({ area: 'local API', item: `${t.workload}, ${t.connections} conn`, figure, budget: '-', verdict: '' });
    } else if (t.workload === 'record write, one environment') {
      rows.push({
        area: 'local API',
        item: `${t.workload}, ${t.connections} conn`,
        figure: `${figure}; ${f(ratio(t.requestsPerSecond, reads?.requestsPerSecond ?? 0))}× reads`,
        budget: `${BUDGETS.oneEnvironmentErrors} errors`,
        verdict: verdict([
          check('one-environment writes', `${t.connections} conn`, t.errors, BUDGETS.oneEnvironmentErrors),
        ]),
      });
    } else {
      const times = ratio(t.requestsPerSecond, reads?.requestsPerSecond ?? 0);
      rows.push({
        area: 'local API',
        item: `${t.workload}, ${t.connections} conn`,
        figure: `${figure}; ${f(times)}× reads`,
        budget: `≥ ${BUDGETS.spreadWritesVsReads}× reads`,
        verdict: verdict([check('spread writes', `${t.connections} conn`, times, BUDGETS.spreadWritesVsReads, true)]),
      });
    }
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
