import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCursorKey } from '../../functions/adapters/cursor-key.js';
import { GitHubActionsRedeployer } from '../../functions/adapters/redeploy/github-actions.js';
import { GitHubActionsTarget } from '../../functions/core/redeploy/github-actions.js';
import { RedeployRefusedError } from '../../functions/core/redeploy/port.js';
import { readConfig } from '../../functions/lib/config.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The two secrets the service reads, from Secrets Manager in moto_server: the cursor key (at
 * init, through Powertools Parameters over the function's own client) and the GitHub token of
 * the github-actions target. Both clients are the adapters' own, pointed at moto only by
 * AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */

const REGION = 'us-east-1';
const run = randomUUID().slice(0, 8);
const secrets = new SecretsManagerClient({ region: REGION });

async function secret(name: string, value: string): Promise<string> {
  const answer = await secrets.send(new CreateSecretCommand({ Name: `${name}-${run}`, SecretString: value }));
  return answer.ARN as string;
}

const deployed = (arn: string) => readConfig({ TABLE_NAME: 't', AWS_REGION: REGION, CURSOR_KEY_SECRET_ARN: arn });

describe('the cursor key from Secrets Manager in moto', () => {
  it("is the secret's value", async () => {
    const key = 'Zq7mK2pX9vR4tW8yB3nC6dF1gH5jL0sA2eU7iO4rT9wQ3xYz';
    expect(await loadCursorKey(deployed(await secret('cursor-key', key)))).toBe(key);
  });

  it('fails the cold start on a secret too short to be a key', async () => {
    const arn = await secret('cursor-key-short', 'too-short');
    await expect(loadCursorKey(deployed(arn))).rejects.toThrow('CURSOR_KEY must be at least 32 characters, got 9');
  });

  it('fails the cold start on a secret that does not exist', async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:123456789012:secret:no-such-key-${run}-AbCdEf`;
    await expect(loadCursorKey(deployed(arn))).rejects.toThrow(/can't find the specified secret|ResourceNotFound/i);
  });
});

describe('the GitHub token from Secrets Manager in moto', () => {
  let github: FakeGitHub | undefined;
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  const start = async (tokenSecretArn: string) => {
    github = await startFakeGitHub({ token: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a' });
    const target = GitHubActionsTarget.parse({
      via: 'github-actions',
      owner: github.owner,
      repo: github.repo,
      workflow: github.workflow,
      ref: 'main',
      tokenSecretArn,
      apiUrl: github.url,
    });
    return new GitHubActionsRedeployer(target, { backoff: { sleep: async () => {} } }).start({
      runId: ulid(),
      environment: 'prod',
      target: deploymentFixture({ imageTag: 'v2.0.0' }),
      current: deploymentFixture({ imageTag: 'v2.1.0' }),
      redeployId: ulid(),
    });
  };

  it.each([
    ['the whole value', 'plain', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
    [
      'its "token" member (JSON)',
      'json',
      JSON.stringify({ token: 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', note: 'x' }),
    ],
  ])('signs the dispatch with the secret’s token: %s', async (_, name, value) => {
    const handle = await start(await secret(`github-token-${name}`, value));
    expect(handle.via).toBe('github-actions');
    const dispatch = github?.requests.find((r) => r.method === 'POST');
    expect(dispatch?.headers.authorization).toBe('Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a');
  });

  it('refuses a secret that is JSON without a token, calling GitHub not at all', async () => {
    const arn = await secret('github-token-bad', JSON.stringify({ pat: 'ghp_x' }));
    await expect(start(arn)).rejects.toThrow(
      new RedeployRefusedError(`secret ${arn} is JSON without a "token" string`),
    );
    expect(github?.requests).toEqual([]);
  });
});
