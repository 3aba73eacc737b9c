import { mayAccess } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import type { ReadinessSummary } from '../guards.js';
import type { ReadPorts } from '../ports.js';

/** What listEnvironments needs on top of ReadPorts: where each environment's redeploys go. */
export interface EnvironmentsPorts extends ReadPorts {
  /** The kind of redeploy target configured for `environment` (e.g. `ecs`), or null for none. */
  redeployVia: (environment: string) => string | null;
}

/** One row of "what runs where". */
export interface EnvironmentView {
  environment: string;
  current: Deployment | null;
  lastDeployedAt: string | null;
  redeploy: { via: string } | null;
  activeRun: string | null;
  readiness: ReadinessSummary | null;
}

/**
 * What runs where: every environment that has a record, sorted by name.
 *
 * 1. Reads the environment items (one Query of their partition, paged): each holds its
 *    environment's current record, kept in the same transaction as every record write, so
 *    the cost follows the number of environments, not of records.
 * 2. Adds each environment's redeploy target kind from the configuration.
 */
export async function listEnvironments(ports: EnvironmentsPorts): Promise<{ items: EnvironmentView[] }> {
  // Under an access policy, only the environments the caller may read are listed.
  const states = (await ports.deployments.environments()).filter((state) =>
    mayAccess(ports, state.environment, 'read'),
  );
  return {
    items: states.map((state) => {
      const via = ports.redeployVia(state.environment);
      return {
        environment: state.environment,
        current: state.current,
        lastDeployedAt: state.lastDeployedAt,
        redeploy: via === null ? null : { via },
        activeRun: state.activeRun,
        readiness: state.readiness,
      };
    }),
  };
}
