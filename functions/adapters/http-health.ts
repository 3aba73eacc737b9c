/**
 * The verify step's signal in local mode: the environment's health URL. A 2xx answer within
 * five seconds is healthy; anything else (another status, a refused connection) is not.
 */
import type { VerifyConfig } from '../core/redeploy/targets.js';
import type { HealthSignal } from '../core/run-ports.js';

export class HttpHealth implements HealthSignal {
  async check(_environment: string, verify: VerifyConfig): Promise<{ healthy: boolean; detail: string }> {
    if (!verify.healthUrl) return { healthy: false, detail: 'no health URL configured' };
    try {
      const response = await fetch(verify.healthUrl, { signal: AbortSignal.timeout(5000) });
      return { healthy: response.ok, detail: `${verify.healthUrl} answered ${response.status}` };
    } catch (error) {
      return { healthy: false, detail: `${verify.healthUrl}: ${(error as Error).message}` };
    }
  }
}
