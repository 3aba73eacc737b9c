/**
 * View 5, the five DORA figures of an environment over a window, each with the counts behind
 * it, and their trend per interval (week by default) as bars with the same numbers in a
 * table beside them. A figure with nothing to measure shows as such, never as 0.
 */
import { ApiError, api, type Figures, type Metrics } from '../api.js';
import { duration, percent } from '../format.js';
import { type Html, html } from '../html.js';
import type { View } from '../view.js';

const INTERVALS = ['day', 'week', 'month', 'all'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function figures(f: Figures): Html {
  const lead = f.changeLeadTime;
  const rec = f.failedDeploymentRecoveryTime;
  return html`<div class="figures">
    <section class="figure" aria-labelledby="fig-frequency"><h3 id="fig-frequency">Deployment frequency</h3>
      <p class="big">${f.deploymentFrequency.count}</p>
      <p>live deployments, ${f.deploymentFrequency.forward} forward (not a rollback)</p></section>
    <section class="figure" aria-labelledby="fig-lead"><h3 id="fig-lead">Change lead time</h3>
      <p class="big">${duration(lead.median)}</p>
      <p>median; p90 ${duration(lead.p90)}; over ${lead.count} deployment${lead.count === 1 ? '' : 's'} with a commit time</p></section>
    <section class="figure" aria-labelledby="fig-cfr"><h3 id="fig-cfr">Change fail rate</h3>
      <p class="big">${percent(f.changeFailRate.value)}</p>
      <p>${f.changeFailRate.numerator} of ${f.changeFailRate.denominator} live deployments rolled back or undone</p>
      ${ids(f.changeFailRate.ids)}</section>
    <section class="figure" aria-labelledby="fig-recovery"><h3 id="fig-recovery">Failed deployment recovery time</h3>
      <p class="big">${duration(rec.median)}</p>
      <p>median; p90 ${duration(rec.p90)}; over ${rec.count} recovered. Detection ${duration(rec.detection.median)},
        restore ${duration(rec.restore.median)} (medians).</p>
      ${rec.unrecovered.length ? html`<p class="warning">Not recovered: ${ids(rec.unrecovered)}</p>` : ''}</section>
    <section class="figure" aria-labelledby="fig-rework"><h3 id="fig-rework">Rework rate</h3>
      <p class="big">${percent(f.reworkRate.value)}</p>
      <p>${f.reworkRate.numerator} of ${f.reworkRate.denominator} live deployments were redeploys that undid another</p>
      ${ids(f.reworkRate.ids)}</section>
  </div>`;
}

function ids(list: string[]): Html {
  if (!list.length) return html``;
  return html`<details><summary>${list.length} record${list.length === 1 ? '' : 's'}</summary><ul class="ids">${list.map(
    (id) => html`<li><a href="#/deployment/${encodeURIComponent(id)}"><code>${id}</code></a></li>`,
  )}</ul></details>`;
}

/** Bars of live deployments per interval, rollbacks and redeploys stacked in another shade. */
function trend(m: Metrics): Html {
  const series = m.series;
  if (!series.length) return html``;
  const max = Math.max(1, ...series.map((s) => s.deploymentFrequency.count));
  const width = 760;
  const barWidth = Math.max(4, Math.min(48, (width - 40) / series.length - 4));
  const step = (width - 40) / series.length;
  const bars = series.map((s, i) => {
    const h = (s.deploymentFrequency.count / max) * 100;
    const failed = (s.changeFailRate.numerator / max) * 100;
    const x = 30 + i * step;
    return html`<g><title>${s.start.slice(0, 10)}: ${s.deploymentFrequency.count} deployments, ${s.changeFailRate.numerator} failed</title>
      <rect x="${x}" y="${120 - h}" width="${barWidth}" height="${h}" fill="#2b6cb0"/>
      <rect x="${x}" y="${120 - failed}" width="${barWidth}" height="${failed}" fill="#b3261e"/></g>`;
  });
  return html`<figure class="trend">
    <svg viewBox="0 0 ${width} 140" role="img" aria-label="${`Deployments per ${m.interval}, from ${m.from} to ${m.to}; failed ones in red. The table beside lists the same numbers.`}">
      <line x1="26" y1="120" x2="${width - 6}" y2="120" stroke="#767676"/>
      <text x="22" y="${24}" font-size="10" fill="#333" text-anchor="end">${max}</text>
      <text x="22" y="120" font-size="10" fill="#333" text-anchor="end">0</text>
      ${bars}
      <text x="30" y="134" font-size="10" fill="#333">${series[0]?.start.slice(0, 10)}</text>
      <text x="${width - 6}" y="134" font-size="10" fill="#333" text-anchor="end">${series.at(-1)?.start.slice(0, 10)}</text>
    </svg>
    <figcaption>Deployments per ${m.interval} (blue), of which failed (red).</figcaption>
  </figure>
  <div class="table-wrap">
  <table class="series"><caption>Per ${m.interval}</caption>
    <thead><tr><th scope="col">From</th><th scope="col">Deployments</th><th scope="col">Lead time (median)</th>
      <th scope="col">Change fail rate</th><th scope="col">Recovery (median)</th><th scope="col">Rework rate</th></tr></thead>
    <tbody>${series.map(
      (s) => html`<tr><th scope="row">${s.start.slice(0, 10)}</th><td>${s.deploymentFrequency.count}</td>
        <td>${duration(s.changeLeadTime.median)}</td><td>${percent(s.changeFailRate.value)}</td>
        <td>${duration(s.failedDeploymentRecoveryTime.median)}</td><td>${percent(s.reworkRate.value)}</td></tr>`,
    )}</tbody></table></div>`;
}

export const metricsView: View = async (context) => {
  const environment = context.params.environment ?? '';
  const env = encodeURIComponent(environment);
  const from = context.query.get('from') ?? '';
  const to = context.query.get('to') ?? '';
  const interval = context.query.get('interval') ?? 'week';
  const query = {
    ...(DATE.test(from) ? { from } : {}),
    ...(DATE.test(to) ? { to } : {}),
    interval: INTERVALS.includes(interval) ? interval : 'week',
  };
  const nav = html`<nav class="subnav" aria-label="${environment}">
    <a href="#/env/${env}">Timeline</a>
    <a href="#/env/${env}/plan">Rollback plan</a>
    <a href="#/env/${env}/metrics" aria-current="page">Metrics</a>
  </nav>`;
  let metrics: Metrics;
  try {
    metrics = await api.metrics(environment, query);
  } catch (error) {
    if (error instanceof ApiError && error.missingRoute) {
      return { title: `${environment}: metrics`, body: html`${nav}<p>This API has no metrics route yet.</p>` };
    }
    throw error;
  }
  return {
    title: `${environment}: metrics`,
    body: html`${nav}
      <form class="window" data-form="window">
        <label for="metrics-from">From</label><input id="metrics-from" name="from" type="date" value="${metrics.from.slice(0, 10)}">
        <label for="metrics-to">To</label><input id="metrics-to" name="to" type="date" value="${metrics.to.slice(0, 10)}">
        <label for="metrics-interval">Trend per</label>
        <select id="metrics-interval" name="interval">${INTERVALS.map(
          (i) => html`<option value="${i}"${i === metrics.interval ? ' selected' : ''}>${i}</option>`,
        )}</select>
        <button type="submit">Show</button>
      </form>
      <h2>${metrics.from.slice(0, 10)} to ${metrics.to.slice(0, 10)}</h2>
      ${figures(metrics.summary)}
      <h2>Trend</h2>
      ${trend(metrics)}`,
    bind: (root) => {
      root.querySelector<HTMLFormElement>('[data-form="window"]')?.addEventListener('submit', (event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        const params = new URLSearchParams();
        for (const key of ['from', 'to', 'interval']) {
          const value = String(data.get(key) ?? '');
          if (value) params.set(key, value);
        }
        location.hash = `#/env/${env}/metrics?${params}`;
      });
    },
  };
};
