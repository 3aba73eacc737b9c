/**
 * Credentials of a role in a workload account, for a target that names `roleArn`. One
 * AssumeRole serves every call until shortly before the credentials expire: a run checks its
 * target every few seconds for minutes, and an STS call per check would be slow and throttled.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { isAwsThrottle, SDK_CLIENT_DEFAULTS, withBackoff } from './retry.js';

/** Refresh this long before expiry, so no call is signed with credentials about to lapse. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** One hour: the most a role allows by default (role chaining caps it there too). */
export const SESSION_SECONDS = 3600;
/** Seen in the workload account's CloudTrail as the session that made each call. */
export const SESSION_NAME = 'platform-rollback';

export interface AssumeRoleOptions {
  roleArn: string;
  region: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A credential provider that assumes `roleArn` on first use and again once the cached
 * credentials are within REFRESH_MARGIN_MS of expiring. Concurrent callers share one request.
 */
export function assumedRoleCredentials(options: AssumeRoleOptions): AwsCredentialIdentityProvider {
  const sts = new STSClient({ region: options.region, ...SDK_CLIENT_DEFAULTS });
  const now = options.now ?? (() => new Date());
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;

  const fresh = (c: AwsCredentialIdentity | undefined): c is AwsCredentialIdentity =>
    c !== undefined && (c.expiration === undefined || c.expiration.getTime() - now().getTime() > REFRESH_MARGIN_MS);

  const assume = async (): Promise<AwsCredentialIdentity> => {
    const answer = await withBackoff(
      () =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: options.roleArn,
            RoleSessionName: SESSION_NAME,
            DurationSeconds: SESSION_SECONDS,
          }),
        ),
      isAwsThrottle,
      { sleep: options.sleep },
    );
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new Error(`AssumeRole ${options.roleArn} answered without credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}),
    };
  };

  return async () => {
    if (fresh(cached)) return cached;
    pending ??= assume().finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
}

/**
 * The credentials a target's client signs with: `overrides` when given (tests), else the
 * target's `roleArn` assumed, else undefined (the function's own).
 */
export function targetCredentials(
  target: { roleArn?: string | undefined; region: string },
  options: {
    credentials?: AwsCredentialIdentityProvider | undefined;
    sleep?: ((ms: number) => Promise<void>) | undefined;
  },
): AwsCredentialIdentityProvider | undefined {
  if (options.credentials) return options.credentials;
  return target.roleArn
    ? assumedRoleCredentials({ roleArn: target.roleArn, region: target.region, sleep: options.sleep })
    : undefined;
}
