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

/**
 * Polls `url` every `intervalMs` until it has answered 2xx `successes` times in a row
 * (healthy) or `timeoutMs` has passed (unhealthy). Any other answer, or none, resets the count.
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
    const remaining = Math.max(1, deadline - Date.now());
    try {
      const response = await doFetch(url, {
        signal: AbortSignal.timeout(Math.min(remaining, Math.max(1000, options.intervalMs * 2), 10_000)),
      });
      await response.arrayBuffer().catch(() => undefined);
      lastStatus = response.status;
      lastError = undefined;
      consecutive = response.status >= 200 && response.status < 300 ? consecutive + 1 : 0;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      lastStatus = undefined;
      lastError = cause?.code ?? (error as Error).message;
      consecutive = 0;
    }
    options.onAttempt?.({
      attempt: attempts,
      consecutive,
      status: lastStatus,
      error: lastError,
      elapsedMs: Date.now() - started,
    });
    const result = { attempts, consecutive, lastStatus, lastError, durationMs: Date.now() - started };
    if (consecutive >= options.successes) return { healthy: true, ...result };
    if (Date.now() + options.intervalMs > deadline) return { healthy: false, ...result };
    await sleep(options.intervalMs);
  }
}
