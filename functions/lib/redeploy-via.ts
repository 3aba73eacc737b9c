/**
 * Where each environment's redeploys go, from REDEPLOY_TARGETS, read once at init: what the
 * environment items show as `redeploy` (the list, one environment, a hold or release's answer).
 */
import { readRedeployVia } from './config.js';

let via: Readonly<Record<string, string>> | undefined;

/** The kind of redeploy target configured for `environment` (e.g. `ecs`), or null for none. */
export function redeployVia(environment: string): string | null {
  via ??= readRedeployVia();
  return Object.hasOwn(via, environment) ? (via[environment] ?? null) : null;
}
