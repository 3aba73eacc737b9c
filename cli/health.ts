/**
 * Step 5 of a rollback: the redeployed version is only "done" when its health endpoint
 * answers 2xx several times in a row, so one lucky answer during a restart does not count.
 */

export interface HealthOptions {
  /** Consecutive 2xx answers needed. */
  successes: number;
  intervalMs: number;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Called after each attempt, for a progress line. */
  onAttempt?: (attempt: HealthAttempt) => void;
}

export interface HealthAttempt {
  attempt: number;
  consecutive: number;
  /** HTTP status, or undefined when the request failed. */
  status: number | undefined;
  error: string | undefined;
  elapsedMs: number;
}

export interface HealthResult {
  healthy: boolean;
  attempts: number;
  consecutive: number;
  lastStatus: number | undefined;
  lastError: string | undefined;
  durationMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long one attempt may wait for its answer: its own bound, not what is left of the timeout. */
export const attemptTimeoutMs = (intervalMs: number) => Math.min(Math.max(1000, intervalMs * 2), 10_000);

/**
 * Polls `url` every `intervalMs` until it has answered 2xx `successes` times in a row
 * (healthy) or `timeoutMs` has passed (unhealthy). Any other answer, or none, resets the count.
 * The timeout decides when no further attempt starts; an attempt under way keeps its own bound
 * (attemptTimeoutMs), so on a slow machine the last attempt still gets the server's answer
 * instead of being cut off by the deadline. `lastStatus` is the last status answered, kept when
 * a later attempt got no answer (`lastError` says why).
 */
export async function pollHealth(url: string, options: HealthOptions): Promise<HealthResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let attempts = 0;
  let consecutive = 0;
  let lastStatus: number | undefined;
  let lastError: string | undefined;
  for (;;) {
    attempts += 1;
    let status: number | undefined;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(attemptTimeoutMs(options.intervalMs)) });
      await response.arrayBuffer().catch(() => undefined);
      status = response.status;
      lastStatus = status;
      lastError = undefined;
      consecutive = status >= 200 && status < 300 ? consecutive + 1 : 0;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      lastError = cause?.code ?? (error as Error).message;
      consecutive = 0;
    }
    options.onAttempt?.({
      attempt: attempts,
      consecutive,
      status,
      error: status === undefined ? lastError : undefined,
      elapsedMs: Date.now() - started,
    });
    const result = { attempts, consecutive, lastStatus, lastError, durationMs: Date.now() - started };
    if (consecutive >= options.successes) return { healthy: true, ...result };
    if (Date.now() + options.intervalMs > deadline) return { healthy: false, ...result };
    await sleep(options.intervalMs);
  }
}
