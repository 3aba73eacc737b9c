/**
 * View 4, the rollback plan: what a rollback of the environment would do now. The target
 * comes from the rollback-target route; the deployments it undoes are the history from the
 * current record down to the target (the same rule as `platform-rollback plan`), and their
 * irreversible migrations block it. Where the console was started with rollbacks allowed, a
 * button opens a <dialog> that needs a reason and the environment's name typed out, then:
 * - where the environment has a redeploy target (the environments route says so), it starts a
 *   rollback run (POST .../rollbacks): the service marks, redeploys, records and verifies;
 * - elsewhere it marks the current record ROLLED_BACK (POST .../tag/{tag}/rollback), and the
 *   pipeline redeploys the target on the notification, as with the curl steps.
 */
import { ApiError, api, type Deployment, type EnvironmentItem } from '../api.js';
import { deploymentLink, status, time, who } from '../format.js';
import { type Html, html } from '../html.js';
import { remember, type View } from '../view.js';

/** How many history records the plan reads at most to reach the target (as pages of 100). */
const MAX_PAGES = 5;

/** From `current` (included) down to `target` (excluded), newest first; `reached` false if the target was not found. */
async function between(current: Deployment, target: Deployment): Promise<{ items: Deployment[]; reached: boolean }> {
  const items: Deployment[] = [];
  let started = false;
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await api.history(current.environment, { limit: 100, cursor });
    for (const record of answer.items) {
      if (record.id === target.id) return { items, reached: true };
      if (record.id === current.id) started = true;
      if (started) items.push(record);
    }
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return { items, reached: false };
}

async function environmentItem(environment: string): Promise<EnvironmentItem | undefined> {
  try {
    return (await api.environments()).items.find((i) => i.environment === environment);
  } catch (error) {
    if (error instanceof ApiError && error.missingRoute) return undefined;
    throw error;
  }
}

interface Check {
  name: string;
  ok: boolean | 'info';
  detail: Html | string;
}

function checkRow(c: Check): Html {
  const verdict = c.ok === 'info' ? 'Not checked here' : c.ok ? 'Passes' : 'Fails';
  return html`<tr class="check-${c.ok === 'info' ? 'info' : c.ok ? 'pass' : 'fail'}"><th scope="row">${c.name}</th>
    <td><strong>${verdict}</strong></td><td>${c.detail}</td></tr>`;
}

export const planView: View = async (context) => {
  const environment = context.params.environment ?? '';
  const env = encodeURIComponent(environment);
  const nav = html`<nav class="subnav" aria-label="${environment}">
    <a href="#/env/${env}">Timeline</a>
    <a href="#/env/${env}/plan" aria-current="page">Rollback plan</a>
    <a href="#/env/${env}/metrics">Metrics</a>
  </nav>`;
  let plan: { current: Deployment; target: Deployment };
  try {
    plan = await api.rollbackTarget(environment);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return {
        title: `${environment}: rollback plan`,
        body: html`${nav}<p class="nothing">Nothing to roll back to: ${error.detail || error.title}.</p>`,
      };
    }
    throw error;
  }
  const { current, target } = plan;
  const [undone, item] = await Promise.all([between(current, target), environmentItem(environment)]);
  remember(context, [current, target, ...undone.items]);
  const irreversible = undone.items.flatMap((d) => d.migrations.filter((m) => !m.reversible).map((m) => ({ d, m })));
  const viaRun = Boolean(item?.redeploy);
  const checks: Check[] = [
    {
      name: 'Current deployment is live',
      ok: current.status === 'DEPLOYED',
      detail: html`${deploymentLink(current)} is ${current.status}${
        current.status === 'ROLLED_BACK'
          ? html`: it was rolled back ${time(current.rolledBackAt)}; redeploy the target`
          : ''
      }`,
    },
    {
      name: 'Target record',
      ok: target.status === 'DEPLOYED',
      detail: html`${deploymentLink(target)} was deployed ${time(target.deployedAt)} and is ${target.status}`,
    },
    {
      name: 'Irreversible migrations',
      ok: irreversible.length === 0,
      detail: irreversible.length
        ? html`<ul>${irreversible.map(({ d, m }) => html`<li><code>${m.id}</code> of ${deploymentLink(d)}${m.description ? html`: ${m.description}` : ''}</li>`)}</ul>`
        : 'none among the deployments it undoes',
    },
    {
      name: 'History reaches the target',
      ok: undone.reached,
      detail: undone.reached
        ? `${undone.items.length} deployment${undone.items.length === 1 ? '' : 's'} between the current one and the target`
        : `the target is more than ${MAX_PAGES * 100} records back; the list below is incomplete`,
    },
    {
      name: 'Not a rollback of a rollback',
      ok: current.rollbackOf === null,
      detail: current.rollbackOf
        ? 'the current deployment is itself a redeploy; a rollback run will refuse it'
        : 'the current deployment is a forward deployment',
    },
    {
      name: 'No rollback running',
      ok: item ? !item.activeRun : 'info',
      detail: item?.activeRun
        ? html`run <code>${item.activeRun}</code> is running`
        : item
          ? 'none running'
          : 'unknown: this API has no environments route',
    },
    {
      name: 'Image still in the registry',
      ok: 'info',
      detail: target.imageDigest
        ? html`the service checks <code>${target.imageDigest}</code> when a run starts; the browser cannot reach the registry`
        : 'the target has no image digest recorded; the service (or `platform-rollback plan --ecr-repository`) checks the tag',
    },
  ];
  const blocked = checks.some((c) => c.ok === false && c.name !== 'History reaches the target');
  const method = viaRun
    ? html`This starts a <strong>rollback run</strong> (POST <code>/rollbacks</code>): the service marks ${current.imageTag}
        rolled back, redeploys ${target.imageTag} through ${item?.redeploy?.via}, records the redeploy and checks its health.`
    : html`This marks ${current.imageTag} <strong>rolled back</strong> (POST <code>/tag/${current.imageTag}/rollback</code>).
        ${environment} has no redeploy target configured, so your pipeline redeploys ${target.imageTag} when it gets the notification.`;
  const allowed = context.config.allowRollback;
  return {
    title: `${environment}: rollback plan`,
    body: html`${nav}
      <section aria-labelledby="plan-what">
        <h2 id="plan-what">What a rollback would do now</h2>
        <ol class="plan-steps">
          <li>Identify: roll back ${deploymentLink(current)} ${status(current.status)} (deployed ${time(current.deployedAt)} by ${who(current.deployedBy)})
            to ${deploymentLink(target)}${target.version ? ` (${target.version})` : ''}.</li>
          <li>Check: the table below.</li>
          <li>Mark ${current.imageTag} rolled back.</li>
          <li>Redeploy ${target.imageTag}${viaRun ? html` through ${item?.redeploy?.via}` : ' (your pipeline)'}.</li>
          <li>Record the redeploy with <code>rollbackOf</code> = ${current.id}, then verify its health.</li>
        </ol>
      </section>
      <table class="checks"><caption>Safety checks</caption>
        <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
        <tbody>${checks.map(checkRow)}</tbody></table>
      <table class="undone"><caption>Deployments it undoes, newest first</caption>
        <thead><tr><th scope="col">Image tag</th><th scope="col">Status</th><th scope="col">Deployed at</th><th scope="col">Migrations</th></tr></thead>
        <tbody>${undone.items.map(
          (
            d,
          ) => html`<tr><th scope="row">${deploymentLink(d)}</th><td>${status(d.status)}</td><td>${time(d.deployedAt)}</td>
            <td>${d.migrations.length ? d.migrations.map((m) => html`<code class="${m.reversible ? '' : 'irreversible'}">${m.id}${m.reversible ? '' : ' (irreversible)'}</code> `) : 'none'}</td></tr>`,
        )}</tbody></table>
      ${
        allowed
          ? html`<p>${method}</p>
            ${blocked ? html`<p class="warning">A check fails: a rollback from here is refused. Fix the cause, or use the CLI with <code>--force --reason</code>.</p>` : ''}
            <button type="button" class="danger" data-action="open-rollback"${blocked ? ' disabled' : ''}>Roll back ${environment}…</button>
            ${dialog(environment, current, target, viaRun)}`
          : html`<p class="readonly">This console is read-only. Start it with <code>platform-rollback console --allow-rollback</code> to roll back from here.</p>`
      }`,
    bind: (root) => bindDialog(root, context, environment, current, viaRun),
  };
};

function dialog(environment: string, current: Deployment, target: Deployment, viaRun: boolean): Html {
  return html`<dialog id="rollback-dialog" aria-labelledby="rollback-dialog-title" aria-describedby="rollback-dialog-what">
    <form data-form="rollback" novalidate>
      <h2 id="rollback-dialog-title">Roll back ${environment}</h2>
      <p id="rollback-dialog-what">${current.imageTag} → ${target.imageTag}, ${viaRun ? 'as a rollback run' : 'marked rolled back; your pipeline redeploys'}.</p>
      <p><label for="rollback-reason">Reason (recorded with the rollback)</label>
        <textarea id="rollback-reason" name="reason" required maxlength="1024" rows="3" autofocus></textarea></p>
      <p><label for="rollback-confirm">Type <strong>${environment}</strong> to confirm</label>
        <input id="rollback-confirm" name="confirm" required autocomplete="off" spellcheck="false"></p>
      <p id="rollback-error" class="problem" role="alert" hidden></p>
      <div class="buttons">
        <button type="button" data-action="cancel-rollback">Cancel</button>
        <button type="submit" class="danger">Roll back ${environment}</button>
      </div>
    </form>
  </dialog>`;
}

function bindDialog(
  root: HTMLElement,
  context: Parameters<View>[0],
  environment: string,
  current: Deployment,
  viaRun: boolean,
): void {
  const dialogElement = root.querySelector<HTMLDialogElement>('#rollback-dialog');
  const opener = root.querySelector<HTMLButtonElement>('[data-action="open-rollback"]');
  if (!dialogElement || !opener) return;
  const form = dialogElement.querySelector<HTMLFormElement>('form');
  const errorBox = dialogElement.querySelector<HTMLElement>('#rollback-error');
  const showError = (message: string, focus?: HTMLElement | null) => {
    if (errorBox) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }
    focus?.focus();
  };
  opener.addEventListener('click', () => {
    form?.reset();
    if (errorBox) errorBox.hidden = true;
    dialogElement.showModal();
  });
  dialogElement.addEventListener('close', () => opener.focus());
  dialogElement
    .querySelector('[data-action="cancel-rollback"]')
    ?.addEventListener('click', () => dialogElement.close('cancel'));
  form?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const reason = String(data.get('reason') ?? '').trim();
    const confirm = String(data.get('confirm') ?? '').trim();
    if (!reason)
      return showError(
        'Give a reason: it is recorded with the rollback.',
        form.querySelector<HTMLElement>('#rollback-reason'),
      );
    if (confirm !== environment) {
      return showError(`Type ${environment} exactly to confirm.`, form.querySelector<HTMLElement>('#rollback-confirm'));
    }
    const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (submit) submit.disabled = true;
    try {
      if (viaRun) {
        const run = await api.startRun(environment, reason);
        context.announce(`Rollback run ${run.id} started in ${environment}.`);
      } else {
        const record = await api.markRolledBack(current.imageTag, environment, reason);
        context.announce(`${record.imageTag} is rolled back in ${environment}; redeploy the target now.`);
      }
      dialogElement.close('done');
      context.refresh();
    } catch (error) {
      const e = error as ApiError;
      showError(`${e.title}${e.detail ? `: ${e.detail}` : ''}`);
    } finally {
      if (submit) submit.disabled = false;
    }
  });
}
