/** Small renderers every view shares: times, statuses, links to records, durations. */
import type { Deployment, Status } from './api.js';
import { type Html, html } from './html.js';

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

/** A `<time>` with the machine-readable instant and a UTC rendering people can compare across zones. */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="none">—</span>`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html`${iso}`;
  return html`<time datetime="${iso}">${DATE_TIME.format(date)}</time>`;
}

const STATUS_TEXT: Record<Status, string> = {
  IN_PROGRESS: 'In progress',
  DEPLOYED: 'Deployed',
  FAILED: 'Failed',
  ROLLED_BACK: 'Rolled back',
};

/** A status as text with a coloured badge; the text carries the meaning, the colour only repeats it. */
export function status(value: string): Html {
  const text = STATUS_TEXT[value as Status] ?? value;
  return html`<span class="badge badge-${value.toLowerCase().replace(/_/g, '-')}" data-status="${value}">${text}</span>`;
}

/** A link to the deployment view of a record. */
export function deploymentLink(d: Pick<Deployment, 'id' | 'imageTag'>, label?: string): Html {
  return html`<a href="#/deployment/${encodeURIComponent(d.id)}">${label ?? d.imageTag}</a>`;
}

/** A principal, shortened for tables where an assumed-role ARN would crowd out everything else. */
export function who(principal: string | null | undefined): Html {
  if (!principal) return html`<span class="none">—</span>`;
  const role = /:assumed-role\/([^/]+)\/(.+)$/.exec(principal);
  const short = role ? `${role[1]}/${role[2]}` : principal;
  return short === principal ? html`${principal}` : html`<abbr title="${principal}">${short}</abbr>`;
}

/** Whole seconds as "2h 05m", "45m 00s" or "12s"; null (nothing measured) as a dash. */
export function duration(seconds: number | null | undefined): Html {
  if (seconds === null || seconds === undefined) return html`<span class="none">none measured</span>`;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = d ? `${d}d ${pad(h)}h` : h ? `${h}h ${pad(m)}m` : m ? `${m}m ${pad(s % 60)}s` : `${s}s`;
  return html`<span title="${s} seconds">${text}</span>`;
}

/** A ratio as a percentage; null (no denominator) as a dash. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** A problem from the API, as the page shows it. */
export function problem(error: unknown): Html {
  const e = error as { title?: string; detail?: string; status?: number };
  return html`<div class="problem" role="alert"><strong>${e.title ?? 'Error'}</strong>${
    e.detail ? html`: ${e.detail}` : ''
  }</div>`;
}

/** A URL that is safe to put in href (http or https only). */
export function safeUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Environment names are the contract's `^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`. */
export const ENVIRONMENT = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
