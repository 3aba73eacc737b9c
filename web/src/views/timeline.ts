/**
 * View 2, an environment's timeline: newest first, each rollback linked both ways (the
 * deployment it undid, the redeploy that replaced it), who/when/why, a status filter, and
 * paging with the history route's cursor. An inline SVG draws the same records as a strip.
 */
import { api, type Deployment, STATUSES } from '../api.js';
import { deploymentLink, status, time, who } from '../format.js';
import { type Html, html } from '../html.js';
import { remember, type View, type ViewContext } from '../view.js';

/** Records per page: enough to read, small enough that a 10,000-record history loads at once. */
export const PAGE_SIZE = 50;

interface Loaded {
  key: string;
  items: Deployment[];
  nextCursor: string | null;
}

let loaded: Loaded | undefined;

const byNewest = (a: Deployment, b: Deployment) =>
  a.deployedAt === b.deployedAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.deployedAt < b.deployedAt ? 1 : -1;

/** Fetches the first page; on a refresh of the same list, keeps the older pages already loaded. */
async function load(environment: string, filter: string | null): Promise<Loaded> {
  const key = `${environment}|${filter ?? ''}`;
  const first = await api.history(environment, { limit: PAGE_SIZE, status: filter });
  if (loaded?.key !== key || loaded.items.length <= PAGE_SIZE) {
    loaded = { key, items: first.items, nextCursor: first.nextCursor };
    return loaded;
  }
  const fresh = new Map(first.items.map((d) => [d.id, d]));
  const older = loaded.items.filter((d) => !fresh.has(d.id) && byNewest(d, first.items.at(-1) ?? d) > 0);
  loaded = { key, items: [...first.items, ...older].sort(byNewest), nextCursor: loaded.nextCursor };
  return loaded;
}

function label(context: ViewContext, id: string): Html {
  const record = context.seen.get(id);
  return record
    ? deploymentLink(record, `${record.imageTag} (${record.deployedAt.slice(0, 10)})`)
    : html`<a href="#/deployment/${encodeURIComponent(id)}"><code>${id}</code></a>`;
}

function story(context: ViewContext, d: Deployment, replacedBy: Map<string, Deployment>): Html {
  const parts: Html[] = [];
  if (d.rollbackOf) parts.push(html`<p class="undoes">Redeploy that undoes ${label(context, d.rollbackOf)}</p>`);
  if (d.status === 'ROLLED_BACK') {
    const redeploy = replacedBy.get(d.id);
    parts.push(
      html`<p class="rolled-back">Rolled back by ${who(d.rolledBackBy)} at ${time(d.rolledBackAt)}${
        d.rollbackReason ? html`: <q>${d.rollbackReason}</q>` : ''
      }</p>`,
    );
    parts.push(
      redeploy
        ? html`<p class="replaced-by">Replaced by ${deploymentLink(redeploy, `the redeploy of ${redeploy.imageTag}`)}</p>`
        : html`<p class="replaced-by none">No redeploy recorded${loaded?.key.endsWith('|') ? '' : ' in this filtered list'}</p>`,
    );
  }
  if (d.notes) parts.push(html`<p class="notes">${d.notes}</p>`);
  return html`${parts}`;
}

const COLOURS: Record<string, string> = {
  DEPLOYED: '#1e7a34',
  ROLLED_BACK: '#b3261e',
  FAILED: '#6b2d90',
  IN_PROGRESS: '#8a6100',
};

/** The loaded records as a strip, oldest left, with an arc from each redeploy back to what it undid. */
function strip(items: Deployment[]): Html {
  const shown = [...items].reverse();
  if (!shown.length) return html``;
  const width = 760;
  const step = shown.length > 1 ? (width - 40) / (shown.length - 1) : 0;
  const x = new Map(shown.map((d, i) => [d.id, 20 + i * step]));
  const arcs = shown
    .filter((d) => d.rollbackOf && x.has(d.rollbackOf))
    .map((d) => {
      const from = x.get(d.id) ?? 0;
      const to = x.get(d.rollbackOf ?? '') ?? 0;
      const mid = (from + to) / 2;
      return html`<path d="M${from} 52 Q${mid} ${52 - Math.min(40, Math.abs(from - to) / 2 + 12)} ${to + 6} 48" class="arc" marker-end="url(#arrow)"/>`;
    });
  const rollbacks = shown.filter((d) => d.status === 'ROLLED_BACK').length;
  const dots = shown.map((d) => {
    const cx = x.get(d.id) ?? 0;
    const colour = COLOURS[d.status] ?? '#444';
    return html`<g><title>${d.imageTag}: ${d.status} at ${d.deployedAt}</title>${
      d.status === 'ROLLED_BACK'
        ? html`<rect x="${cx - 6}" y="${52}" width="12" height="12" fill="${colour}"/>`
        : html`<circle cx="${cx}" cy="${58}" r="6" fill="${colour}"${d.rollbackOf ? ' stroke="#111" stroke-width="2"' : ''}/>`
    }</g>`;
  });
  return html`<figure class="strip">
    <svg viewBox="0 0 ${width} 84" role="img" aria-label="${`${shown.length} deployments, oldest on the left; ${rollbacks} rolled back (squares); arcs run from each redeploy to the deployment it undid`}">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#333"/></marker></defs>
      <line x1="10" y1="72" x2="${width - 10}" y2="72" stroke="#767676"/>
      ${arcs}${dots}
      <text x="10" y="82" font-size="10" fill="#333">${shown[0]?.deployedAt.slice(0, 10)}</text>
      <text x="${width - 10}" y="82" font-size="10" fill="#333" text-anchor="end">${shown.at(-1)?.deployedAt.slice(0, 10)}</text>
    </svg>
    <figcaption>Circles: deployed, failed or in progress; squares: rolled back; a ringed circle is a redeploy that undoes an earlier deployment.</figcaption>
  </figure>`;
}

export const timelineView: View = async (context) => {
  const environment = context.params.environment ?? '';
  const filter = context.query.get('status');
  const valid = filter && (STATUSES as readonly string[]).includes(filter) ? filter : null;
  const page = await load(environment, valid);
  remember(context, page.items);
  const replacedBy = new Map<string, Deployment>();
  for (const d of context.seen.values()) {
    if (d.environment === environment && d.rollbackOf) {
      const other = replacedBy.get(d.rollbackOf);
      // The first redeploy that undid it is the one that replaced it.
      if (!other || byNewest(d, other) > 0) replacedBy.set(d.rollbackOf, d);
    }
  }
  const env = encodeURIComponent(environment);
  const rows = page.items.map(
    (d) => html`<tr id="row-${d.id}" data-id="${d.id}" data-status="${d.status}">
      <td>${time(d.deployedAt)}</td>
      <th scope="row">${deploymentLink(d)}</th>
      <td>${d.version ?? html`<span class="none">—</span>`}</td>
      <td>${status(d.status)}</td>
      <td>${who(d.deployedBy)}</td>
      <td class="story">${story(context, d, replacedBy)}</td>
    </tr>`,
  );
  return {
    title: `${environment}: timeline`,
    body: html`
      <nav class="subnav" aria-label="${environment}">
        <a href="#/env/${env}" aria-current="page">Timeline</a>
        <a href="#/env/${env}/plan">Rollback plan</a>
        <a href="#/env/${env}/metrics">Metrics</a>
      </nav>
      <form class="filter" data-form="filter">
        <label for="status-filter">Status</label>
        <select id="status-filter" name="status">
          <option value="">All statuses</option>
          ${STATUSES.map((s) => html`<option value="${s}"${s === valid ? ' selected' : ''}>${s}</option>`)}
        </select>
        <button type="submit">Filter</button>
      </form>
      ${strip(page.items)}
      <div class="table-wrap">
      <table class="timeline">
        <caption>Deployments in ${environment}, newest first${valid ? html`, status ${valid}` : ''} (${page.items.length} shown)</caption>
        <thead><tr><th scope="col">Deployed at</th><th scope="col">Image tag</th><th scope="col">Version</th>
          <th scope="col">Status</th><th scope="col">Deployed by</th><th scope="col">What happened</th></tr></thead>
        <tbody>${rows.length ? rows : html`<tr><td colspan="6">No deployments${valid ? ' with this status' : ''}.</td></tr>`}</tbody>
      </table>
      </div>
      ${page.nextCursor ? html`<p><button type="button" data-action="older">Load older deployments</button></p>` : html`<p class="none">The start of the history.</p>`}`,
    bind: (root) => {
      root.querySelector<HTMLFormElement>('[data-form="filter"]')?.addEventListener('submit', (event) => {
        event.preventDefault();
        const value = String(new FormData(event.target as HTMLFormElement).get('status') ?? '');
        location.hash = `#/env/${env}${value ? `?status=${value}` : ''}`;
      });
      root.querySelector<HTMLButtonElement>('[data-action="older"]')?.addEventListener('click', async () => {
        if (!loaded?.nextCursor) return;
        const next = await api.history(environment, { limit: PAGE_SIZE, status: valid, cursor: loaded.nextCursor });
        loaded = { ...loaded, items: [...loaded.items, ...next.items], nextCursor: next.nextCursor };
        context.announce(`Loaded ${next.items.length} older deployments`);
        context.refresh();
      });
    },
  };
};
