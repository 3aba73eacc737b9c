/**
 * The `github-actions` redeploy target: dispatches a workflow (its `workflow_dispatch`
 * trigger, with the inputs image_tag, environment, rollback_of and run_id) and follows the
 * run it started, through GitHub's REST API (github.com, or GitHub Enterprise Server at
 * `apiUrl`).
 *
 * The workflow must name its runs after the run id, so a run can be found again:
 *
 *     run-name: "Rollback ${{ inputs.environment }} to ${{ inputs.image_tag }} (${{ inputs.run_id }})"
 *
 * start:
 *   1. List the workflow's workflow_dispatch runs created since the run began; one whose
 *      title carries the run id is the one this run already dispatched (a replay after a
 *      crash): return it and dispatch nothing.
 *   2. POST the dispatch with `return_run_details: true`. GitHub answers 200 with the run's
 *      id and links; an older server answers 204 with nothing, and the run is then found as
 *      in 1, listing a few times while GitHub creates it.
 * check: GET the run. `completed` with conclusion `success` succeeds; `completed` with any
 *   other conclusion (failure, cancelled, timed_out, ...) fails; anything else runs.
 *
 * The token is read from Secrets Manager once per process and kept. Rate-limit answers (429,
 * or 403 with `x-ratelimit-remaining: 0` or `retry-after`) are retried after the wait GitHub
 * asks for, bounded; other 4xx refuse the redeploy with GitHub's message.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GitHubActionsTarget } from '../../core/redeploy/github-actions.js';
import type { Redeployer, RedeployHandle, RedeployProgress, RedeployRequest } from '../../core/redeploy/port.js';
import { RedeployRefusedError } from '../../core/redeploy/port.js';
import { runStartedAt } from './ecs.js';
import {
  type BackoffOptions,
  isAwsThrottle,
  REQUEST_TIMEOUT_MS,
  realSleep,
  SDK_CLIENT_DEFAULTS,
  withBackoff,
} from './retry.js';

/** Lists made after a 204 while GitHub creates the run, and the wait before each. */
export const FIND_ATTEMPTS = 5;
export const FIND_DELAY_MS = 2_000;
/** The longest wait a rate-limit answer may impose on one call; longer ones fail the call. */
export const MAX_RATE_LIMIT_WAIT_MS = 30_000;

export interface GitHubActionsRedeployerOptions {
  backoff?: BackoffOptions;
  /** Where the token comes from (default: Secrets Manager, the target's `tokenSecretArn`). */
  token?: () => Promise<string>;
  /** The Secrets Manager client's region (default: the secret ARN's). */
  secretsRegion?: string;
  /** How long one API call may take (default REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** A non-2xx answer from GitHub. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    message: string,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** A workflow run, as GET /repos/{owner}/{repo}/actions/runs/{id} answers (the fields read here). */
interface WorkflowRun {
  id: number;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
}

export class GitHubActionsRedeployer implements Redeployer {
  readonly via = 'github-actions' as const;
  private readonly base: string;
  private token: Promise<string> | undefined;

  constructor(
    private readonly target: GitHubActionsTarget,
    private readonly options: GitHubActionsRedeployerOptions = {},
  ) {
    this.base = target.apiUrl.replace(/\/+$/, '');
  }

  async start(request: RedeployRequest): Promise<RedeployHandle> {
    const existing = await this.findRun(request);
    if (existing) return this.handle(existing);

    const { owner, repo, workflow, ref } = this.target;
    const answer = await this.call('POST', `/repos/${owner}/${repo}/actions/workflows/${workflow}/dispatches`, {
      ref,
      inputs: {
        image_tag: request.target.imageTag,
        environment: request.environment,
        rollback_of: request.current.id,
        run_id: request.runId,
      },
      return_run_details: true,
    });
    const details = answer as { workflow_run_id?: number; html_url?: string } | undefined;
    if (details?.workflow_run_id) {
      return {
        via: 'github-actions',
        externalId: String(details.workflow_run_id),
        url: details.html_url ?? this.runUrl(details.workflow_run_id),
      };
    }
    // 204: the server gave no details; the run appears in the list within seconds.
    const sleep = this.options.backoff?.sleep ?? realSleep;
    for (let attempt = 1; attempt <= FIND_ATTEMPTS; attempt++) {
      await sleep(FIND_DELAY_MS * attempt);
      const run = await this.findRun(request);
      if (run) return this.handle(run);
    }
    // Thrown, not refused: a retried start finds the run in step 1 once GitHub lists it.
    throw new Error(
      `dispatched ${workflow} on ${owner}/${repo} but found no run titled with ${request.runId}; does the workflow set run-name with inputs.run_id?`,
    );
  }

  async check(_request: RedeployRequest, handle: RedeployHandle): Promise<RedeployProgress> {
    const { owner, repo } = this.target;
    const run = (await this.call('GET', `/repos/${owner}/${repo}/actions/runs/${handle.externalId}`)) as WorkflowRun;
    const what = `workflow run ${run.id}`;
    if (run.status !== 'completed') return { status: 'RUNNING', detail: `${what} is ${run.status ?? 'pending'}` };
    if (run.conclusion === 'success') return { status: 'SUCCEEDED', detail: `${what} concluded success` };
    return { status: 'FAILED', detail: `${what} concluded ${run.conclusion ?? 'without a conclusion'}` };
  }

  /** The run's page on GitHub (also what the dispatch's html_url is). */
  runUrl(id: number | string): string {
    const web = this.base === 'https://api.github.com' ? 'https://github.com' : this.base.replace(/\/api\/v3$/, '');
    return `${web}/${this.target.owner}/${this.target.repo}/actions/runs/${id}`;
  }

  private handle(run: Pick<WorkflowRun, 'id' | 'html_url'>): RedeployHandle {
    return { via: 'github-actions', externalId: String(run.id), url: run.html_url || this.runUrl(run.id) };
  }

  /** The workflow_dispatch run of this workflow, created since the run began, titled with its id. */
  private async findRun(request: RedeployRequest): Promise<WorkflowRun | undefined> {
    const { owner, repo, workflow } = this.target;
    // A minute's slack: GitHub's clock and ours may differ a little.
    const since = new Date(Math.max(0, runStartedAt(request.runId) - 60_000)).toISOString();
    const query = new URLSearchParams({ event: 'workflow_dispatch', created: `>=${since}`, per_page: '100' });
    const list = (await this.call('GET', `/repos/${owner}/${repo}/actions/workflows/${workflow}/runs?${query}`)) as {
      workflow_runs?: WorkflowRun[];
    };
    return list.workflow_runs?.find((run) => run.display_title?.includes(request.runId));
  }

  /** One API call, retried on rate limits; answers the parsed JSON, or undefined for 204. */
  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const token = await this.readToken();
    return withBackoff(
      async () => {
        const response = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            accept: 'application/vnd.github+json',
            authorization: `Bearer ${token}`,
            'x-github-api-version': '2022-11-28',
            'user-agent': 'platform-rollback',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS),
        });
        if (response.status === 204) return undefined;
        const text = await response.text();
        if (response.ok) return text ? JSON.parse(text) : undefined;
        const message = messageOf(text);
        const error = new GitHubApiError(
          response.status,
          response.headers,
          `GitHub ${method} ${path}: ${response.status} ${message}`,
        );
        if (isRateLimited(error)) throw error;
        // 401/403/404/422: bad token, no access, no such workflow, no workflow_dispatch trigger or
        // inputs it does not declare. Retrying changes nothing.
        if (response.status >= 400 && response.status < 500) throw new RedeployRefusedError(error.message);
        throw error;
      },
      (error) => error instanceof GitHubApiError && isRateLimited(error),
      { ...this.options.backoff, requestedDelay: rateLimitWait },
    );
  }

  private readToken(): Promise<string> {
    this.token ??= (this.options.token ?? (() => secretToken(this.target.tokenSecretArn, this.options)))().catch(
      (error) => {
        // A failed read is not kept: the next call tries again.
        this.token = undefined;
        throw error;
      },
    );
    return this.token;
  }
}

/** Reads the token from the secret: its whole SecretString, or its `token` member when it is JSON. */
async function secretToken(secretArn: string, options: GitHubActionsRedeployerOptions): Promise<string> {
  const region = options.secretsRegion ?? secretArn.split(':')[3];
  const client = new SecretsManagerClient({ region, ...SDK_CLIENT_DEFAULTS });
  const answer = await withBackoff(
    () => client.send(new GetSecretValueCommand({ SecretId: secretArn })),
    isAwsThrottle,
    options.backoff,
  );
  const value = answer.SecretString?.trim();
  if (!value) throw new RedeployRefusedError(`secret ${secretArn} holds no string (the GitHub token)`);
  if (value.startsWith('{')) {
    const token = (JSON.parse(value) as { token?: unknown }).token;
    if (typeof token !== 'string' || !token) {
      throw new RedeployRefusedError(`secret ${secretArn} is JSON without a "token" string`);
    }
    return token;
  }
  return value;
}

/** GitHub's rate limits: 429, or 403 saying so in its headers (primary: remaining 0; secondary: retry-after). */
export function isRateLimited(error: GitHubApiError): boolean {
  if (error.status === 429) return true;
  if (error.status !== 403) return false;
  return error.headers.get('x-ratelimit-remaining') === '0' || error.headers.has('retry-after');
}

/** The wait GitHub asks for: retry-after seconds, or until x-ratelimit-reset; capped. */
export function rateLimitWait(error: unknown, now = Date.now()): number | undefined {
  if (!(error instanceof GitHubApiError)) return undefined;
  const retryAfter = Number(error.headers.get('retry-after'));
  if (error.headers.has('retry-after') && Number.isFinite(retryAfter)) {
    return Math.min(MAX_RATE_LIMIT_WAIT_MS, retryAfter * 1000);
  }
  const reset = Number(error.headers.get('x-ratelimit-reset'));
  if (error.headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    return Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(0, reset * 1000 - now));
  }
  return undefined;
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON (a proxy's page): its start says enough.
  }
  return text.slice(0, 200);
}
