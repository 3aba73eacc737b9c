/**
 * The page's only door to the service: same-origin fetches of the contract's routes. In local
 * mode the origin is the local API itself; under `platform-rollback console` it is the proxy,
 * which signs and forwards them. The page holds no credentials of any kind.
 */

export const BASE = '/api/v1/platform/deployments';

export type Status = 'IN_PROGRESS' | 'DEPLOYED' | 'FAILED' | 'ROLLED_BACK';
export const STATUSES: readonly Status[] = ['IN_PROGRESS', 'DEPLOYED', 'FAILED', 'ROLLED_BACK'];

export interface Migration {
  id: string;
  reversible: boolean;
  description: string | null;
}

export interface Deployment {
  id: string;
  environment: string;
  imageTag: string;
  imageDigest: string | null;
  status: Status;
  deployedAt: string;
  deployedBy: string;
  version: string | null;
  commitSha: string | null;
  commitAt?: string | null;
  notes: string | null;
  migrations: Migration[];
  pipelineRunUrl: string | null;
  rollbackOf: string | null;
  rolledBackAt: string | null;
  rolledBackBy: string | null;
  rollbackReason: string | null;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface EnvironmentItem {
  environment: string;
  current: Deployment | null;
  lastDeployedAt: string | null;
  redeploy: { via: string } | null;
  activeRun: string | null;
}

export interface RunStep {
  name: string;
  status: string;
  startedAt?: string | null;
  endedAt?: string | null;
  detail?: string | null;
}

export interface RollbackRun {
  id: string;
  environment: string;
  trigger: 'alarm' | 'manual';
  requestedBy: string;
  reason: string;
  current: { id: string; imageTag: string };
  target: { id: string; imageTag: string; imageDigest?: string | null };
  redeploy: { via: string; deploymentId?: string | null; externalId?: string | null; url?: string | null } | null;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  steps: RunStep[];
  failure: { step: string; detail: string } | null;
  startedAt: string;
  endedAt: string | null;
}

export interface Ratio {
  value: number | null;
  numerator: number;
  denominator: number;
  ids: string[];
}

export interface Spread {
  median: number | null;
  p90: number | null;
}

export interface Figures {
  deploymentFrequency: { count: number; forward: number };
  changeLeadTime: Spread & { count: number };
  changeFailRate: Ratio;
  failedDeploymentRecoveryTime: Spread & { count: number; detection: Spread; restore: Spread; unrecovered: string[] };
  reworkRate: Ratio;
}

export interface Metrics {
  environment: string;
  from: string;
  to: string;
  interval: string;
  summary: Figures;
  series: Array<Figures & { start: string; end: string }>;
}

/** What the server that serves the page says about itself (GET /_console/config). */
export interface ConsoleConfig {
  /** Whether this console may start rollbacks (local mode, or `console --allow-rollback`). */
  allowRollback: boolean;
  /** `local` (npm start) or `proxy` (platform-rollback console). */
  mode: 'local' | 'proxy';
  /** The API the calls reach, for display. */
  api: string;
  /** How often views refresh themselves, in milliseconds. */
  pollMs: number;
}

/** An answer other than 2xx, with the problem's title and detail (or a network failure: status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** The API this page talks to has no such route yet (an older deployment of the service). */
  get missingRoute(): boolean {
    return this.status === 404 || this.status === 405;
  }
}

type Query = Record<string, string | number | undefined | null>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `${path}${search ? `?${search}` : ''}`;
}

async function call<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url(path, query), {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'The service did not answer', (error as Error).message);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const problem = (parsed ?? {}) as Record<string, unknown>;
    throw new ApiError(
      response.status,
      typeof problem.title === 'string' ? problem.title : `HTTP ${response.status}`,
      typeof problem.detail === 'string' ? problem.detail : '',
      problem,
    );
  }
  return parsed as T;
}

/** The contract's routes the console reads and the two it may write with. */
export const api = {
  config: () => call<ConsoleConfig>('GET', '/_console/config'),
  environments: () => call<{ items: EnvironmentItem[] }>('GET', `${BASE}/environments`),
  history: (environment: string, query: { limit?: number; status?: string | null; cursor?: string | null } = {}) =>
    call<Page<Deployment>>('GET', `${BASE}/history`, { environment, ...query }),
  deployment: (id: string) => call<Deployment>('GET', `${BASE}/${encodeURIComponent(id)}`),
  rollbackTarget: (environment: string) =>
    call<{ current: Deployment; target: Deployment }>('GET', `${BASE}/rollback-target`, { environment }),
  runs: (environment: string, limit = 100) =>
    call<Page<RollbackRun>>('GET', `${BASE}/rollbacks`, { environment, limit }),
  metrics: (environment: string, query: { from?: string; to?: string; interval?: string }) =>
    call<Metrics>('GET', `${BASE}/metrics`, { environment, ...query }),
  /** Marks the current deployment ROLLED_BACK; the pipeline redeploys the target on the notification. */
  markRolledBack: (imageTag: string, environment: string, reason: string) =>
    call<Deployment>('POST', `${BASE}/tag/${encodeURIComponent(imageTag)}/rollback`, {}, { environment, reason }),
  /** Starts a rollback run: the service carries out all five steps itself. */
  startRun: (environment: string, reason: string) =>
    call<RollbackRun>('POST', `${BASE}/rollbacks`, {}, { environment, reason }),
};
