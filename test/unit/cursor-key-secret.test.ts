import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadCursorKey } from '../../functions/adapters/cursor-key.js';
import { ConfigError, readConfig } from '../../functions/lib/config.js';

/**
 * The deployed ListHistory function reads its cursor key from Secrets Manager at init
 * (Powertools Parameters over the SDK client), checked here at the SDK boundary: the exact
 * GetSecretValue it sends, and the response shape the Secrets Manager API reference documents.
 */

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CursorKey0A1B2C3D-AbCdEf';
const KEY = 'Zq7mK2pX9vR4tW8yB3nC6dF1gH5jL0sA2eU7iO4rT9wQ3xYz';
/** GetSecretValue's response, as the API reference documents it. */
const response = (SecretString: string) => ({
  ARN,
  Name: 'CursorKey0A1B2C3D-AbCdEf',
  VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
  SecretString,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: new Date('2026-11-01T00:00:00Z'),
});

const secrets = mockClient(SecretsManagerClient);
const deployed = { TABLE_NAME: 't', AWS_REGION: 'eu-west-1', CURSOR_KEY_SECRET_ARN: ARN };

beforeEach(() => secrets.reset());
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('the cursor key from Secrets Manager', () => {
  it('is read with one GetSecretValue of exactly that secret', async () => {
    secrets.on(GetSecretValueCommand).resolves(response(KEY));
    expect(await loadCursorKey(readConfig(deployed))).toBe(KEY);
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);
  });

  it('CURSOR_KEY, when set (local mode), wins: Secrets Manager is not asked', async () => {
    const local = 'local-mode-cursor-key-0123456789abcdef';
    expect(await loadCursorKey(readConfig({ ...deployed, CURSOR_KEY: local }))).toBe(local);
    expect(secrets.calls()).toHaveLength(0);
  });

  it('a secret too short to be a key, or a binary one, fails (the cold start) with a ConfigError', async () => {
    secrets.on(GetSecretValueCommand).resolves(response('short'));
    await expect(loadCursorKey(readConfig(deployed))).rejects.toThrow(ConfigError);
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ ARN, Name: 'x', SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(loadCursorKey(readConfig(deployed), undefined)).rejects.toThrow(ConfigError);
  });

  it('an error from Secrets Manager (e.g. AccessDenied) fails the cold start too', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(loadCursorKey(readConfig(deployed))).rejects.toThrow(/not authorized/);
  });

  it('the ListHistory handler loads it at import (top-level await), once, and serves with it', async () => {
    for (const [name, value] of Object.entries(deployed)) vi.stubEnv(name, value);
    vi.stubEnv('CURSOR_KEY', '');
    secrets.on(GetSecretValueCommand).resolves(response(KEY));
    const history = await import('../../functions/http/list-history.js');
    expect(history.handler).toEqual(expect.any(Function));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});
