import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubActionsRedeployer } from '../../functions/adapters/redeploy/github-actions.js';
import { GitHubActionsTarget } from '../../functions/core/redeploy/github-actions.js';
import { RedeployRefusedError, type RedeployRequest } from '../../functions/core/redeploy/port.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The GitHub Actions target against a real HTTP server answering as GitHub's REST API does
 * (test/support/fake-github.ts), with its token read from Secrets Manager (mocked at the SDK
 * boundary, answering GetSecretValue's documented shape).
 */

const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:platform-rollback/github-AbCdEf';

let github: FakeGitHub;
let waits: number[];
const backoff = () => ({ sleep: async (ms: number) => void waits.push(ms) });

function secretAnswer(value: string) {
  return {
    ARN: SECRET_ARN,
    Name: 'platform-rollback/github',
    VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
    SecretString: value,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2026-11-01T10:00:00Z'),
  };
}

function targetFor(server: FakeGitHub) {
  return GitHubActionsTarget.parse({
    via: 'github-actions',
    owner: server.owner,
    repo: server.repo,
    workflow: server.workflow,
    ref: 'main',
    tokenSecretArn: SECRET_ARN,
    apiUrl: server.url,
  });
}

function newRequest(): RedeployRequest {
  return {
    runId: ulid(),
    environment: 'prod',
    target: deploymentFixture({ imageTag: 'v2.0.0' }),
    current: deploymentFixture({ imageTag: 'v2.1.0' }),
    redeployId: ulid(),
  };
}

const dispatches = () => github.requests.filter((r) => r.method === 'POST');

beforeEach(async () => {
  waits = [];
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves(secretAnswer('ghp_16C7e42F292c6912E7710c838347Ae178B4a'));
});
afterEach(async () => {
  await github?.close();
});

describe('github-actions start', () => {
  it('dispatches the workflow with the inputs and return_run_details, and follows the run GitHub names', async () => {
    github = await startFakeGitHub();
    const request = newRequest();
    const handle = await new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(request);

    const run = github.runs[0];
    expect(handle).toEqual({
      via: 'github-actions',
      externalId: String(run?.id),
      url: `https://github.com/acme/shop/actions/runs/${run?.id}`,
    });
    expect(dispatches()).toHaveLength(1);
    const dispatch = dispatches()[0];
    expect(dispatch?.path).toBe('/repos/acme/shop/actions/workflows/rollback.yml/dispatches');
    expect(dispatch?.body).toEqual({
      ref: 'main',
      inputs: {
        image_tag: 'v2.0.0',
        environment: 'prod',
        rollback_of: request.current.id,
        run_id: request.runId,
      },
      return_run_details: true,
    });
    expect(dispatch?.headers.accept).toBe('application/vnd.github+json');
    expect(dispatch?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
  });

  it('answered 204 without run details, finds the run by its title among the workflow_dispatch runs', async () => {
    github = await startFakeGitHub({ noRunDetails: true, listLag: 3 });
    const request = newRequest();
    const handle = await new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(request);

    expect(handle.externalId).toBe(String(github.runs[0]?.id));
    expect(github.runs[0]?.display_title).toContain(request.runId);
    expect(dispatches()).toHaveLength(1);
    const lists = github.requests.filter((r) => r.method === 'GET' && r.path.includes('/workflows/rollback.yml/runs?'));
    // One before the dispatch (nothing yet), then until the run shows (the third list after it).
    expect(lists).toHaveLength(4);
    const query = new URL(`http://x${lists[0]?.path}`).searchParams;
    expect(query.get('event')).toBe('workflow_dispatch');
    expect(query.get('created')).toMatch(/^>=\d{4}-\d\d-\d\dT/);
    expect(waits).toEqual([2000, 4000, 6000]);
  });

  it('a replayed start finds the run it dispatched and dispatches nothing', async () => {
    github = await startFakeGitHub();
    const request = newRequest();
    const first = await new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(request);
    // A fresh process (the replay after a crash) has no memory of the first start.
    const replay = await new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(request);

    expect(replay).toEqual(first);
    expect(dispatches()).toHaveLength(1);
  });

  it('another run of the same workflow is not mistaken for this one', async () => {
    github = await startFakeGitHub();
    const redeployer = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() });
    await redeployer.start(newRequest());
    await redeployer.start(newRequest());
    expect(dispatches()).toHaveLength(2);
    expect(new Set(github.runs.map((r) => r.id)).size).toBe(2);
  });

  it('waits as long as a 403 rate limit asks (until x-ratelimit-reset), then dispatches once', async () => {
    github = await startFakeGitHub();
    github.rateLimitNext(3);
    const handle = await new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(newRequest());

    expect(handle.externalId).toBe(String(github.runs[0]?.id));
    expect(waits).toHaveLength(1);
    // x-ratelimit-reset is whole epoch seconds, 3 s ahead when the fake answered.
    expect(waits[0]).toBeGreaterThan(2000);
    expect(waits[0]).toBeLessThanOrEqual(4000);
    expect(dispatches()).toHaveLength(1);
  });

  it('waits retry-after on a 429, and gives up after five attempts', async () => {
    github = await startFakeGitHub();
    for (let i = 0; i < 5; i++) github.tooManyNext(2);
    const start = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(newRequest());
    await expect(start).rejects.toThrow(/429 You have exceeded a secondary rate limit/);
    expect(waits).toEqual([2000, 2000, 2000, 2000]);
    expect(github.requests).toHaveLength(5);
  });

  it('a 403 that is not a rate limit refuses the redeploy at once, with GitHub message', async () => {
    github = await startFakeGitHub();
    github.failNext(403, 'Resource not accessible by personal access token');
    const start = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(newRequest());
    await expect(start).rejects.toThrow(RedeployRefusedError);
    await expect(start).rejects.toThrow(/403 Resource not accessible by personal access token/);
    expect(github.requests).toHaveLength(1);
  });

  it('a workflow without a workflow_dispatch trigger (422) refuses the redeploy', async () => {
    github = await startFakeGitHub();
    github.failNextDispatch(422, "Workflow does not have 'workflow_dispatch' trigger");
    const start = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() }).start(newRequest());
    await expect(start).rejects.toThrow(RedeployRefusedError);
    await expect(start).rejects.toThrow(/422 Workflow does not have 'workflow_dispatch' trigger/);
    expect(dispatches()).toHaveLength(1);
  });
});

describe('github-actions check', () => {
  it('follows status and conclusion: only completed + success succeeds', async () => {
    github = await startFakeGitHub();
    const request = newRequest();
    const redeployer = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() });
    const handle = await redeployer.start(request);
    const id = Number(handle.externalId);

    expect(await redeployer.check(request, handle)).toEqual({
      status: 'RUNNING',
      detail: `workflow run ${id} is queued`,
    });
    github.setRun(id, 'in_progress');
    expect((await redeployer.check(request, handle)).status).toBe('RUNNING');
    github.setRun(id, 'completed', 'success');
    expect(await redeployer.check(request, handle)).toEqual({
      status: 'SUCCEEDED',
      detail: `workflow run ${id} concluded success`,
    });
    expect(github.requests.at(-1)?.path).toBe(`/repos/acme/shop/actions/runs/${id}`);
  });

  it('a run concluded failure (or cancelled, timed_out) fails the redeploy', async () => {
    github = await startFakeGitHub();
    const request = newRequest();
    const redeployer = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() });
    const handle = await redeployer.start(request);
    const id = Number(handle.externalId);
    for (const conclusion of ['failure', 'cancelled', 'timed_out']) {
      github.setRun(id, 'completed', conclusion);
      expect(await redeployer.check(request, handle)).toEqual({
        status: 'FAILED',
        detail: `workflow run ${id} concluded ${conclusion}`,
      });
    }
  });

  it('never hangs: a call GitHub does not answer fails after the request timeout', async () => {
    github = await startFakeGitHub();
    const request = newRequest();
    const redeployer = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff(), requestTimeoutMs: 300 });
    const handle = await redeployer.start(request);
    github.hangNext();
    // The outcome, not the wall time: the call ends with the request timeout's abort (a hang
    // would end at the test's own timeout with no such error).
    await expect(redeployer.check(request, handle)).rejects.toThrow(/aborted|timeout/i);
  });

  it('reads the token from the secret once per process, and takes a JSON secret\'s "token"', async () => {
    github = await startFakeGitHub();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves(secretAnswer(JSON.stringify({ token: github.token })));
    const request = newRequest();
    const redeployer = new GitHubActionsRedeployer(targetFor(github), { backoff: backoff() });
    const handle = await redeployer.start(request);
    await redeployer.check(request, handle);
    await redeployer.check(request, handle);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(github.requests.every((r) => r.headers.authorization === `Bearer ${github.token}`)).toBe(true);
  });
});
