/**
 * What the three redeploy targets share: bounded retries of throttled calls, and the request
 * timeouts that keep one `check` from hanging the run (a target that never finishes is the
 * workflow's timeout to handle; a call that never answers must not be).
 */

/** How long one call to a target may take, connection included. */
export const REQUEST_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * The SDK client settings every target's client uses: one attempt per `send` (the retries
 * are `withBackoff`'s, so they are bounded once, not SDK retries times ours) and timeouts.
 */
export const SDK_CLIENT_DEFAULTS = {
  maxAttempts: 1,
  requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
} as const;

export interface BackoffOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The first wait; each later one doubles, with full jitter, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected so tests need not wait; `setTimeout` otherwise. */
  sleep?: (ms: number) => Promise<void>;
  /** A wait the target asked for (Retry-After, a rate-limit reset), in ms, or undefined. */
  requestedDelay?: (error: unknown) => number | undefined;
}

export const DEFAULT_BACKOFF = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn`, retrying while `isThrottled(error)`: at most `attempts` calls, waiting
 * exponentially longer (full jitter, capped) between them, or as long as the target asked.
 * Any other error, and the last throttled one, is thrown as is.
 */
export async function withBackoff<T>(
  fn: () => Promise<T>,
  isThrottled: (error: unknown) => boolean,
  options: BackoffOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_BACKOFF.attempts;
  const base = options.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isThrottled(error)) throw error;
      const asked = options.requestedDelay?.(error);
      // The target's own wait is honoured as asked (its caller caps it); ours is capped here.
      await sleep(asked ?? Math.random() * Math.min(max, base * 2 ** (attempt - 1)));
    }
  }
}

/** An AWS SDK error that says "slow down": the throttling codes the services answer, or HTTP 429. */
export function isAwsThrottle(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const names = ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded'];
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return names.includes(error.name) || meta?.httpStatusCode === 429;
}
