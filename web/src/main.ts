/**
 * The console page: one custom element, <rollback-console>, that routes on the URL's hash,
 * renders the matching view into <main>, and refreshes it by polling. Views are plain async
 * functions returning escaped markup (html.ts); nothing here holds credentials: every call is
 * a same-origin fetch that the serving process answers or forwards.
 */
import { ApiError, api, type ConsoleConfig, type Deployment } from './api.js';
import { problem } from './format.js';
import { html } from './html.js';
import type { View, ViewContext } from './view.js';
import { deploymentView } from './views/deployment.js';
import { metricsView } from './views/metrics.js';
import { nowView } from './views/now.js';
import { planView } from './views/plan.js';
import { timelineView } from './views/timeline.js';

interface RouteMatch {
  name: string;
  view: View;
  params: Record<string, string>;
  query: URLSearchParams;
}

const ROUTES: Array<[string, RegExp, View, string[]]> = [
  ['now', /^\/?$/, nowView, []],
  ['timeline', /^\/env\/([^/]+)$/, timelineView, ['environment']],
  ['plan', /^\/env\/([^/]+)\/plan$/, planView, ['environment']],
  ['metrics', /^\/env\/([^/]+)\/metrics$/, metricsView, ['environment']],
  ['deployment', /^\/deployment\/([^/]+)$/, deploymentView, ['id']],
];

function route(hash: string): RouteMatch | undefined {
  const raw = hash.replace(/^#/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  for (const [name, pattern, view, names] of ROUTES) {
    const m = pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { name, view, params, query: new URLSearchParams(search) };
  }
  return undefined;
}

/** Where focus was, so a refresh that replaces the markup can put it back. */
function focusKey(element: Element | null): string | undefined {
  if (!(element instanceof HTMLElement) || element === document.body) return undefined;
  if (element.id) return `#${CSS.escape(element.id)}`;
  const action = element.getAttribute('data-action');
  if (action) return `[data-action="${CSS.escape(action)}"]`;
  const href = element.getAttribute('href');
  if (href) return `a[href="${CSS.escape(href)}"]`;
  return undefined;
}

class RollbackConsole extends HTMLElement {
  private config: ConsoleConfig = { allowRollback: false, mode: 'local', api: '', pollMs: 10_000 };
  private readonly seen = new Map<string, Deployment>();
  private main!: HTMLElement;
  private statusRegion!: HTMLElement;
  private updated!: HTMLElement;
  private generation = 0;
  private timer: number | undefined;

  async connectedCallback(): Promise<void> {
    this.innerHTML = html`
      <a class="skip" href="#content">Skip to content</a>
      <header>
        <p class="brand"><a href="#/">platform-rollback</a></p>
        <nav aria-label="Console"><a href="#/">Now</a></nav>
        <p class="mode" data-role="mode"></p>
      </header>
      <main id="content" tabindex="-1" aria-busy="true"><p>Loading…</p></main>
      <footer>
        <p role="status" data-role="status"></p>
        <p data-role="updated"></p>
      </footer>`.value;
    this.main = this.querySelector('main') as HTMLElement;
    this.statusRegion = this.querySelector('[data-role="status"]') as HTMLElement;
    this.updated = this.querySelector('[data-role="updated"]') as HTMLElement;
    try {
      this.config = await api.config();
    } catch {
      // Without the config endpoint the page still reads; it just never offers a rollback.
    }
    const mode = this.querySelector('[data-role="mode"]') as HTMLElement;
    mode.textContent = `${this.config.mode === 'proxy' ? `Signed proxy to ${this.config.api}` : 'Local mode'}; ${
      this.config.allowRollback ? 'rollbacks allowed' : 'read-only'
    }`;
    window.addEventListener('hashchange', () => void this.render(true));
    this.timer = window.setInterval(() => void this.poll(), this.config.pollMs);
    await this.render(true);
  }

  disconnectedCallback(): void {
    window.clearInterval(this.timer);
  }

  /** Refreshes unless the user is in the middle of something: a dialog, a form field, a hidden tab. */
  private async poll(): Promise<void> {
    if (document.hidden || this.querySelector('dialog[open]')) return;
    const active = document.activeElement;
    if (
      active instanceof HTMLInputElement ||
      active instanceof HTMLTextAreaElement ||
      active instanceof HTMLSelectElement
    ) {
      return;
    }
    await this.render(false);
  }

  private context(match: RouteMatch): ViewContext {
    return {
      config: this.config,
      params: match.params,
      query: match.query,
      seen: this.seen,
      refresh: () => void this.render(false),
      announce: (message) => {
        this.statusRegion.textContent = message;
      },
    };
  }

  /** Renders the hash's view; `navigated`: a new view (focus its heading), else a refresh in place. */
  private async render(navigated: boolean): Promise<void> {
    const generation = ++this.generation;
    const match = route(location.hash);
    if (navigated) {
      this.main.setAttribute('aria-busy', 'true');
      this.main.dataset.view = match?.name ?? 'unknown';
    }
    let title: string;
    let markup: string;
    let bind: ((root: HTMLElement) => void) | undefined;
    if (!match) {
      title = 'Not found';
      markup = html`<p>No such view. <a href="#/">Back to what runs where.</a></p>`.value;
    } else {
      try {
        const rendered = await match.view(this.context(match));
        title = rendered.title;
        markup = rendered.body.value;
        bind = rendered.bind;
      } catch (error) {
        title = error instanceof ApiError && error.status === 404 ? 'Not found' : 'Something went wrong';
        markup = problem(error).value;
      }
    }
    // A newer render started while this one waited for the API: it wins.
    if (generation !== this.generation) return;
    const full = html`<h1 tabindex="-1">${title}</h1>`.value + markup;
    if (!navigated && this.main.dataset.markup === full) {
      this.stamp();
      return;
    }
    const focused = navigated ? undefined : focusKey(document.activeElement);
    this.main.innerHTML = full;
    this.main.dataset.markup = full;
    this.main.dataset.view = match?.name ?? 'unknown';
    bind?.(this.main);
    this.main.setAttribute('aria-busy', 'false');
    document.title = `${title} · platform-rollback`;
    if (navigated) (this.main.querySelector('h1') as HTMLElement | null)?.focus();
    else if (focused) (this.main.querySelector(focused) as HTMLElement | null)?.focus();
    this.stamp();
  }

  private stamp(): void {
    this.updated.textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC; refreshes every ${Math.round(
      this.config.pollMs / 1000,
    )} s`;
  }
}

customElements.define('rollback-console', RollbackConsole);
