/** What every view module gives the console: a title, the markup, and the listeners to attach. */
import type { ConsoleConfig, Deployment } from './api.js';
import type { Html } from './html.js';

export interface ViewContext {
  config: ConsoleConfig;
  /** Path parameters of the hash route (e.g. `environment`, `id`). */
  params: Record<string, string>;
  /** The hash route's query (e.g. `status` on the timeline). */
  query: URLSearchParams;
  /** Records seen so far, by id: lets a view name a record another view loaded. */
  seen: Map<string, Deployment>;
  /** Renders the current view again (after an action changed something). */
  refresh(): void;
  /** Announces a message in the page's status region. */
  announce(message: string): void;
}

export interface Rendered {
  /** The document title and the view's heading. */
  title: string;
  body: Html;
  /** Attaches the view's listeners to the freshly rendered markup. */
  bind?: (root: HTMLElement) => void;
}

export type View = (context: ViewContext) => Promise<Rendered>;

/** Remembers records so links can show a tag rather than an id. */
export function remember(context: ViewContext, records: Iterable<Deployment | null | undefined>): void {
  for (const record of records) if (record) context.seen.set(record.id, record);
}
