/**
 * View 3, one deployment: every field of the record, its pipeline run, its migrations (the
 * irreversible ones stand out), what it undid or what replaced it, and the rollback runs
 * that touched it with their steps.
 */
import { processStepNumber } from '../../../functions/core/run.js';
import { ApiError, api, type Deployment, type RollbackRun } from '../api.js';
import { deploymentLink, safeUrl, status, time, who } from '../format.js';
import { type Html, html } from '../html.js';
import { remember, type View } from '../view.js';

async function record(id: string, seen: Map<string, Deployment>): Promise<Deployment> {
  try {
    return await api.deployment(id);
  } catch (error) {
    // An API without GET /{id} yet: a record another view loaded is still worth showing.
    const known = seen.get(id);
    if (error instanceof ApiError && error.status === 405 && known) return known;
    throw error;
  }
}

/** Runs that touched the record, or why none can be shown. */
async function runsOf(d: Deployment): Promise<RollbackRun[] | string> {
  try {
    const page = await api.runs(d.environment);
    return page.items.filter((r) => r.current.id === d.id || r.target.id === d.id || r.redeploy?.deploymentId === d.id);
  } catch (error) {
    if (error instanceof ApiError && error.missingRoute) return 'This API has no rollback runs yet.';
    throw error;
  }
}

/** The list item's number: the process step's, or none for the checks (see processStepNumber). */
function stepNumber(name: string): Html {
  const n = processStepNumber(name);
  return n === null ? html` class="unnumbered"` : html` value="${String(n)}"`;
}

function run(r: RollbackRun): Html {
  return html`<section class="run" aria-labelledby="run-${r.id}">
    <h3 id="run-${r.id}">Rollback run <code>${r.id}</code> ${status(r.status)}</h3>
    <p>${r.trigger === 'alarm' ? 'Started by an alarm' : 'Started by hand'}: ${who(r.requestedBy)}, ${time(r.startedAt)}${
      r.reason ? html`: <q>${r.reason}</q>` : ''
    }. From ${html`<a href="#/deployment/${encodeURIComponent(r.current.id)}">${r.current.imageTag}</a>`} back to
      ${html`<a href="#/deployment/${encodeURIComponent(r.target.id)}">${r.target.imageTag}</a>`}${
        r.redeploy ? html`, redeployed through ${r.redeploy.via}` : ''
      }.</p>
    ${r.failure ? html`<p class="problem">Failed at <strong>${r.failure.step}</strong>: ${r.failure.detail}</p>` : ''}
    <ol class="steps">${r.steps.map(
      // The process's five steps keep their numbers; the safety checks come before step 2, unnumbered.
      (s) =>
        html`<li${stepNumber(s.name)}>${status(s.status)} <strong>${s.name}</strong>${s.detail ? html`: ${s.detail}` : ''}${
          s.endedAt ? html` <span class="when">(${time(s.endedAt)})</span>` : ''
        }</li>`,
    )}</ol>
  </section>`;
}

export const deploymentView: View = async (context) => {
  const id = context.params.id ?? '';
  const d = await record(id, context.seen);
  remember(context, [d]);
  const [runs, history] = await Promise.all([
    runsOf(d),
    api.history(d.environment, { limit: 100 }).catch(() => ({ items: [] as Deployment[], nextCursor: null })),
  ]);
  remember(context, history.items);
  const replacement = history.items.filter((h) => h.rollbackOf === d.id).at(-1);
  const undone = d.rollbackOf ? context.seen.get(d.rollbackOf) : undefined;
  const pipeline = safeUrl(d.pipelineRunUrl);
  const env = encodeURIComponent(d.environment);
  const field = (name: string, value: Html | string | null) =>
    html`<div><dt>${name}</dt><dd>${value === null || value === '' ? html`<span class="none">—</span>` : value}</dd></div>`;
  const irreversible = d.migrations.filter((m) => !m.reversible);
  return {
    title: `${d.imageTag} in ${d.environment}`,
    body: html`
      <p>${status(d.status)} <a href="#/env/${env}">Back to the ${d.environment} timeline</a></p>
      <dl class="fields">
        ${field('ID', html`<code>${d.id}</code>`)}
        ${field('Environment', d.environment)}
        ${field('Image tag', html`<code>${d.imageTag}</code>`)}
        ${field('Image digest', d.imageDigest ? html`<code>${d.imageDigest}</code>` : null)}
        ${field('Status', status(d.status))}
        ${field('Version', d.version)}
        ${field('Commit', d.commitSha ? html`<code>${d.commitSha}</code>` : null)}
        ${field('Committed at', d.commitAt ? time(d.commitAt) : null)}
        ${field('Deployed at', time(d.deployedAt))}
        ${field('Deployed by', who(d.deployedBy))}
        ${field('Pipeline run', pipeline ? html`<a href="${pipeline}" rel="noreferrer noopener">${pipeline}</a>` : d.pipelineRunUrl)}
        ${field('Notes', d.notes)}
        ${field('Undoes', d.rollbackOf ? (undone ? deploymentLink(undone) : html`<a href="#/deployment/${encodeURIComponent(d.rollbackOf)}"><code>${d.rollbackOf}</code></a>`) : null)}
        ${field('Rolled back at', d.rolledBackAt ? time(d.rolledBackAt) : null)}
        ${field('Rolled back by', d.rolledBackBy ? who(d.rolledBackBy) : null)}
        ${field('Rollback reason', d.rollbackReason)}
        ${field('Replaced by', replacement ? deploymentLink(replacement, `the redeploy of ${replacement.imageTag}`) : null)}
        ${field('Updated at', time(d.updatedAt))}
      </dl>
      <h2>Migrations</h2>
      ${
        d.migrations.length
          ? html`${irreversible.length ? html`<p class="warning"><strong>${irreversible.length} irreversible migration${irreversible.length === 1 ? '' : 's'}</strong>: rolling back past this deployment cannot undo ${irreversible.length === 1 ? 'it' : 'them'}.</p>` : ''}
            <table class="migrations"><caption>Migrations of ${d.imageTag}</caption>
            <thead><tr><th scope="col">ID</th><th scope="col">Reversible</th><th scope="col">Description</th></tr></thead>
            <tbody>${d.migrations.map(
              (m) => html`<tr class="${m.reversible ? '' : 'irreversible'}"><th scope="row"><code>${m.id}</code></th>
                <td>${m.reversible ? 'Yes' : html`<strong>No: irreversible</strong>`}</td><td>${m.description ?? ''}</td></tr>`,
            )}</tbody></table>`
          : html`<p>None.</p>`
      }
      <h2>Rollback runs</h2>
      ${typeof runs === 'string' ? html`<p>${runs}</p>` : runs.length ? runs.map(run) : html`<p>No rollback run touched this deployment.</p>`}`,
  };
};
