/**
 * The key that signs history cursors, for the functions that sign them. Deployed, it lives in
 * Secrets Manager and is read once, at init, through Powertools Parameters (which caches it);
 * the function's configuration holds only the secret's ARN, so whoever may read the function's
 * settings does not learn the key. Local mode and the tests set CURSOR_KEY instead.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Config, ConfigError, cursorKey } from '../lib/config.js';

/**
 * How long Powertools keeps the value before asking again. The key is read at init only, so
 * this matters only to a process that calls loadCursorKey again.
 */
const MAX_AGE_SECONDS = 15 * 60;

/** The provider over the function's own Secrets Manager client. */
export function secretsProvider(config: Pick<Config, 'region'>): SecretsProvider {
  return new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({ region: config.region }) });
}

/**
 * The cursor key: CURSOR_KEY when set, else the value of the secret CURSOR_KEY_SECRET_ARN.
 * Throws ConfigError (so the cold start fails, not the first paged request) when neither is
 * set, or when the secret's value is too short to be a key.
 */
export async function loadCursorKey(
  config: Pick<Config, 'region' | 'cursorKey' | 'cursorKeySecretArn'>,
  provider: Pick<SecretsProvider, 'get'> = secretsProvider(config),
): Promise<string> {
  if (config.cursorKey) return config.cursorKey;
  if (!config.cursorKeySecretArn) {
    throw new ConfigError(
      'CURSOR_KEY is required: the secret that signs history cursors (deployed: the Secrets Manager secret CURSOR_KEY_SECRET_ARN names; local mode: CURSOR_KEY itself)',
    );
  }
  const value = await provider.get(config.cursorKeySecretArn, { maxAge: MAX_AGE_SECONDS });
  if (typeof value !== 'string') {
    throw new ConfigError(`the secret ${config.cursorKeySecretArn} holds no string: it must be the cursor key`);
  }
  const key = cursorKey(value);
  if (!key) throw new ConfigError(`the secret ${config.cursorKeySecretArn} is empty: it must be the cursor key`);
  return key;
}
