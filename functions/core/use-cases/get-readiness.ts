import { authorize } from '../access-policy.js';
import { evaluateReadiness, type Readiness, type ReadinessPorts } from '../readiness.js';

/**
 * Would a rollback of `environment` work right now (GET .../environments/{environment}/readiness)?
 *
 * 0. Access: the caller must be allowed to `read` the environment (403).
 * 1. evaluateReadiness (core/readiness.ts): the rollback target rule and the run's safety
 *    checks, evaluated now, plus `redeploy-target` and `verify`. No record: NotFoundError (404).
 */
export async function getReadiness(ports: ReadinessPorts, environment: string): Promise<Readiness> {
  authorize(ports, environment, 'read');
  return evaluateReadiness(ports, environment);
}
