/**
 * The deployments API over HTTP (global fetch), one method per route of the API
 * (docs/API.md). Every non-2xx answer becomes an ApiError carrying the problem's title and
 * detail, so callers can show what the service said without a stack trace.
 */
import type { Deployment, Status } from '../functions/core/deployment.js';
import type { Run } from '../functions/core/run.js';
import type { RecordDeploymentInput } from '../functions/core/schemas.js';
import type { GateAnswer } from '../functions/core/use-cases/check-gate.js';
import type { EnvironmentView as EnvironmentItem } from '../functions/core/use-cases/list-environments.js';
import { BASE_PATH } from '../functions/routes.js';
import { type Credentials, signRequest } from './sigv4.js';

export interface HistoryPage {
  items: Deployment[];
  nextCursor: string | null;
}

export interface RollbackTarget {
  current: Deployment;
  target: Deployment;
}

export interface RunsPage {
  items: Run[];
  nextCursor: string | null;
}

export interface TagExists {
  imageTag: string;
  exists: boolean;
  environments: string[];
}

/** The body of POST /deployments as the CLI sends it (before the service applies defaults). */
export type RecordInput = Partial<Omit<RecordDeploymentInput, 'environment' | 'imageTag'>> &
  Pick<RecordDeploymentInput, 'environment' | 'imageTag'>;

/** An answer other than 2xx, or no answer at all (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** Worth a retry: the service or the network failed, not the request. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  /** Sign with SigV4 (the deployed API) or not (local mode). */
  sign: boolean;
  region?: string | undefined;
  credentials?: Credentials | undefined;
  fetch?: typeof fetch;
  /** Per-request time limit. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

export class ApiClient {
  private readonly base: URL;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ApiClientOptions) {
    this.base = new URL(options.baseUrl);
    this.fetch = options.fetch ?? globalThis.fetch;
    if (options.sign && (!options.region || !options.credentials)) {
      throw new Error('signing needs a region and credentials');
    }
  }

  /** The URL of a route: the base URL's path (a stage, if any) + the contract's base path. */
  url(suffix: string, query: Query = {}): URL {
    const url = new URL(this.base);
    url.pathname = `${this.base.pathname.replace(/\/+$/, '')}${BASE_PATH}${suffix}`;
    url.search = '';
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends one request; resolves with the parsed JSON body of a 2xx answer. */
  async call<T>(
    method: string,
    suffix: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const url = this.url(suffix, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    };
    const { sign, region, credentials } = this.options;
    if (sign && region && credentials) {
      try {
        headers = await signRequest({ method, url, headers, body }, { region, credentials });
      } catch (error) {
        throw new ApiError(
          0,
          'No AWS credentials to sign the request with',
          `${(error as Error).message}. In a pipeline, assume a role first (e.g. aws-actions/configure-aws-credentials); against local mode, use --no-sign.`,
        );
      }
    }
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ApiError(0, 'Cannot reach the API', `${method} ${url.origin}${url.pathname}: ${reason}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.ok) return parsed as T;
    throw toApiError(response, parsed, text);
  }

  history(environment: string, query: { limit?: number; status?: Status; cursor?: string } = {}) {
    return this.call<HistoryPage>('GET', '/history', { query: { environment, ...query } });
  }

  /** An environment's history, newest first, one page at a time; the caller stops when it has enough. */
  async *iterateHistory(environment: string, pageSize = 100): AsyncGenerator<HistoryPage> {
    let cursor: string | undefined;
    do {
      const page = await this.history(environment, { limit: pageSize, ...(cursor ? { cursor } : {}) });
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  rollbackTarget(environment: string, imageTag?: string) {
    return this.call<RollbackTarget>('GET', '/rollback-target', { query: { environment, imageTag } });
  }

  byTag(imageTag: string, environment?: string) {
    return this.call<Deployment>('GET', `/tag/${encodeURIComponent(imageTag)}`, { query: { environment } });
  }

  exists(imageTag: string, environment?: string) {
    return this.call<TagExists>('GET', `/tag/${encodeURIComponent(imageTag)}/exists`, { query: { environment } });
  }

  record(input: RecordInput, idempotencyKey?: string) {
    return this.call<Deployment>('POST', '', {
      body: input,
      ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
    });
  }

  /** POST /rollbacks: starts a rollback run (202 with the run). */
  startRun(input: { environment: string; reason: string; targetImageTag?: string }, idempotencyKey?: string) {
    return this.call<Run>('POST', '/rollbacks', {
      body: input,
      ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}),
    });
  }

  /** GET /rollbacks/{id}: one run with its steps. */
  run(id: string) {
    return this.call<Run>('GET', `/rollbacks/${encodeURIComponent(id)}`);
  }

  /** GET /rollbacks: an environment's runs, newest first. */
  runs(environment: string, query: { limit?: number; cursor?: string } = {}) {
    return this.call<RunsPage>('GET', '/rollbacks', { query: { environment, ...query } });
  }

  /** GET /environments/{environment}/gate: may this tag go there now? */
  gate(environment: string, imageTag: string, requireReady: boolean) {
    return this.call<GateAnswer>('GET', `/environments/${encodeURIComponent(environment)}/gate`, {
      query: { imageTag, requireReady: String(requireReady) },
    });
  }

  /** POST /environments/{environment}/hold or /release, with a reason: the environment item. */
  holdOrRelease(action: 'hold' | 'release', environment: string, reason: string) {
    return this.call<EnvironmentItem>('POST', `/environments/${encodeURIComponent(environment)}/${action}`, {
      body: { reason },
    });
  }

  markRolledBack(imageTag: string, input: { environment?: string | undefined; reason?: string | undefined }) {
    const body = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    return this.call<Deployment>('POST', `/tag/${encodeURIComponent(imageTag)}/rollback`, { body });
  }
}

/** problem+json when the service answered; API Gateway's own `{ message }` otherwise. */
function toApiError(response: Response, parsed: unknown, text: string): ApiError {
  const body = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const title =
    typeof body.title === 'string' ? body.title : `HTTP ${response.status} ${response.statusText}`.trimEnd();
  const detail =
    typeof body.detail === 'string'
      ? body.detail
      : typeof body.message === 'string'
        ? body.message
        : text.slice(0, 200);
  return new ApiError(response.status, title, detail, body);
}
