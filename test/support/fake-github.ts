import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server that answers the four GitHub REST calls the github-actions target makes,
 * as GitHub's API documents them: the workflow dispatch (200 with run details when asked
 * for, or 204 as older servers answer), the workflow's run list, one run, and the rate-limit
 * answers (403 with x-ratelimit-* headers, 429 with retry-after). Runs are created by the
 * dispatch, titled by the workflow's `run-name` from the inputs, and moved by the test.
 */

export interface FakeRun {
  id: number;
  name: string;
  display_title: string;
  event: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  head_branch: string;
  created_at: string;
  html_url: string;
  inputs: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  workflow?: string;
  token?: string;
  /** Answer the dispatch 204 without details even when asked for them (older GitHub Enterprise Server). */
  noRunDetails?: boolean;
  /** A 204-dispatched run shows in the list only from this many list calls after the dispatch. */
  listLag?: number;
  /** Runs complete with `conclusion` once they have been read `afterLooks` times (as a runner would finish them). */
  autoComplete?: { afterLooks: number; conclusion: string };
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}) {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'shop';
  const workflow = options.workflow ?? 'rollback.yml';
  const token = options.token ?? 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
  const requests: RecordedRequest[] = [];
  const runs: FakeRun[] = [];
  /** Answers queued for the next requests, before anything else (rate limits, hangs). */
  const queued: Array<(res: ServerResponse) => void> = [];
  let nextId = 30433642;
  let listsSinceDispatch = 0;
  let hidden: FakeRun | undefined;
  const looksAt = new Map<number, number>();
  let dispatchFailure: { status: number; message: string } | undefined;

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) =>
    json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
    });
    const answer = queued.shift();
    if (answer) return answer(res);
    if (req.headers.authorization !== `Bearer ${token}`) {
      return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const base = `/repos/${owner}/${repo}/actions`;
    if (req.method === 'POST' && url.pathname === `${base}/workflows/${workflow}/dispatches`) {
      if (dispatchFailure) {
        const { status, message } = dispatchFailure;
        dispatchFailure = undefined;
        return json(res, status, { message, documentation_url: 'https://docs.github.com/rest' });
      }
      const body = JSON.parse(text) as { ref: string; inputs: Record<string, string>; return_run_details?: boolean };
      const id = nextId++;
      const run: FakeRun = {
        id,
        name: 'Rollback',
        display_title: `Rollback ${body.inputs.environment} to ${body.inputs.image_tag} (${body.inputs.run_id})`,
        event: 'workflow_dispatch',
        status: 'queued',
        conclusion: null,
        head_branch: body.ref,
        created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        html_url: `https://github.com/${owner}/${repo}/actions/runs/${id}`,
        inputs: body.inputs,
      };
      if (body.return_run_details && !options.noRunDetails) {
        runs.push(run);
        return json(res, 200, {
          workflow_run_id: id,
          run_url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${id}`,
          html_url: run.html_url,
        });
      }
      hidden = run;
      listsSinceDispatch = 0;
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'GET' && url.pathname === `${base}/workflows/${workflow}/runs`) {
      listsSinceDispatch++;
      if (hidden && listsSinceDispatch >= (options.listLag ?? 0)) {
        runs.push(hidden);
        hidden = undefined;
      }
      const event = url.searchParams.get('event');
      const created = url.searchParams.get('created');
      const since = created?.startsWith('>=') ? Date.parse(created.slice(2)) : 0;
      const matching = runs
        .filter((r) => (!event || r.event === event) && Date.parse(r.created_at) >= since)
        .reverse()
        .map(runJson);
      return json(res, 200, { total_count: matching.length, workflow_runs: matching });
    }
    const one = new RegExp(`^${base}/runs/(\\d+)$`).exec(url.pathname);
    if (req.method === 'GET' && one) {
      const run = runs.find((r) => r.id === Number(one[1]));
      if (!run) return notFound(res);
      const looks = (looksAt.get(run.id) ?? 0) + 1;
      looksAt.set(run.id, looks);
      if (options.autoComplete && run.status !== 'completed') {
        run.status = looks >= options.autoComplete.afterLooks ? 'completed' : 'in_progress';
        if (run.status === 'completed') run.conclusion = options.autoComplete.conclusion;
      }
      return json(res, 200, runJson(run));
    }
    return notFound(res);
  });

  const runJson = (run: FakeRun) => {
    const { inputs: _inputs, ...shown } = run;
    return {
      ...shown,
      node_id: `WFR_kwLOA${run.id}`,
      head_sha: 'acb5820ced9479c074f688cc328bf03f341a511d',
      path: `.github/workflows/${workflow}`,
      run_number: run.id - 30433600,
      run_attempt: 1,
      workflow_id: 161335,
      url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${run.id}`,
      updated_at: run.created_at,
      run_started_at: run.created_at,
      jobs_url: `https://api.github.com/repos/${owner}/${repo}/actions/runs/${run.id}/jobs`,
    };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    owner,
    repo,
    workflow,
    token,
    requests,
    runs,
    /** The next request gets GitHub's primary rate-limit answer: 403, remaining 0, reset in `resetInSeconds`. */
    rateLimitNext(resetInSeconds: number) {
      queued.push((res) =>
        json(
          res,
          403,
          {
            message: 'API rate limit exceeded for user ID 1.',
            documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
          },
          {
            'x-ratelimit-limit': '5000',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': '5000',
            'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + resetInSeconds),
            'x-ratelimit-resource': 'core',
          },
        ),
      );
    },
    /** The next request gets a secondary rate limit: 429 with retry-after. */
    tooManyNext(retryAfterSeconds: number) {
      queued.push((res) =>
        json(
          res,
          429,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
          { 'retry-after': String(retryAfterSeconds) },
        ),
      );
    },
    /** The next request gets `status` with GitHub's error body. */
    failNext(status: number, message: string) {
      queued.push((res) => json(res, status, { message, documentation_url: 'https://docs.github.com/rest' }));
    },
    /** The next dispatch (only) gets `status` with GitHub's error body. */
    failNextDispatch(status: number, message: string) {
      dispatchFailure = { status, message };
    },
    /** The next request is never answered (until the server closes). */
    hangNext() {
      queued.push(() => undefined);
    },
    /** Moves a run on, as the Actions runner would. */
    setRun(id: number, status: FakeRun['status'], conclusion: string | null = null) {
      const run = runs.find((r) => r.id === id);
      if (!run) throw new Error(`no run ${id}`);
      run.status = status;
      run.conclusion = conclusion;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;
