/** View 1, "Now": every environment with what runs there, who put it there, and any running rollback. */
import { ApiError, api, type EnvironmentItem } from '../api.js';
import { deploymentLink, ENVIRONMENT, status, time, who } from '../format.js';
import { html } from '../html.js';
import { remember, type View } from '../view.js';

function row(item: EnvironmentItem) {
  const d = item.current;
  const env = encodeURIComponent(item.environment);
  return html`<tr>
    <th scope="row"><a href="#/env/${env}">${item.environment}</a></th>
    <td>${d?.version ?? html`<span class="none">—</span>`}</td>
    <td>${d ? deploymentLink(d) : html`<span class="none">nothing deployed</span>`}</td>
    <td>${d?.commitSha ? html`<code>${d.commitSha}</code>` : html`<span class="none">—</span>`}</td>
    <td>${who(d?.deployedBy)}</td>
    <td>${time(d?.deployedAt ?? item.lastDeployedAt)}</td>
    <td>${d ? status(d.status) : ''}${d?.rollbackOf ? html` <span class="tag-note">a rollback</span>` : ''}</td>
    <td>${
      item.activeRun
        ? html`<span class="badge badge-running">Rollback running</span> <code>${item.activeRun}</code>`
        : html`<span class="none">none</span>`
    }</td>
    <td class="actions">
      <a href="#/env/${env}/plan">Plan a rollback<span class="visually-hidden"> of ${item.environment}</span></a>
      <a href="#/env/${env}/metrics">Metrics<span class="visually-hidden"> of ${item.environment}</span></a>
    </td>
  </tr>`;
}

/** A way in where the API has no environments route: open one environment by name. */
const openForm = html`<form class="open-env" data-form="open-env">
  <label for="open-env-name">Environment</label>
  <input id="open-env-name" name="environment" required pattern="[a-z0-9]([a-z0-9\\-]{0,30}[a-z0-9])?" autocomplete="off">
  <button type="submit">Open its timeline</button>
</form>`;

export const nowView: View = async (context) => {
  let items: EnvironmentItem[];
  try {
    items = (await api.environments()).items;
  } catch (error) {
    if (error instanceof ApiError && error.missingRoute) {
      return {
        title: 'Now',
        body: html`<p>This API has no environments route yet, so the console cannot list what runs where.
          Open an environment by name:</p>${openForm}`,
        bind: bindOpen,
      };
    }
    throw error;
  }
  remember(
    context,
    items.map((i) => i.current),
  );
  const running = items.filter((i) => i.activeRun).length;
  return {
    title: 'Now',
    body: html`
      <p>${items.length} environment${items.length === 1 ? '' : 's'}${
        running ? html`, <strong>${running} with a rollback running</strong>` : ''
      }.</p>
      <div class="table-wrap">
      <table class="now">
        <caption>What runs where</caption>
        <thead><tr>
          <th scope="col">Environment</th><th scope="col">Version</th><th scope="col">Image tag</th>
          <th scope="col">Commit</th><th scope="col">Deployed by</th><th scope="col">Deployed at</th>
          <th scope="col">Status</th><th scope="col">Rollback run</th><th scope="col">More</th>
        </tr></thead>
        <tbody>${items.length ? items.map(row) : html`<tr><td colspan="9">No deployment has been recorded yet.</td></tr>`}</tbody>
      </table>
      </div>
      ${openForm}`,
    bind: bindOpen,
  };
};

function bindOpen(root: HTMLElement): void {
  root.querySelector<HTMLFormElement>('[data-form="open-env"]')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = String(new FormData(event.target as HTMLFormElement).get('environment') ?? '').trim();
    if (ENVIRONMENT.test(value)) location.hash = `#/env/${encodeURIComponent(value)}`;
  });
}
