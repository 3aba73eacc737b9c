import type { Deployment } from '../../functions/core/deployment.js';

let seq = 0;

/**
 * A complete deployment record for tests that need one without a store: every optional
 * field null (or []), a valid ULID that sorts by creation, `deployedAt` a minute later than
 * the previous fixture's unless given.
 */
export function deploymentFixture(overrides: Partial<Deployment> = {}): Deployment {
  seq += 1;
  const at = new Date(Date.UTC(2026, 10, 27, 10, seq)).toISOString();
  return {
    id: `01JDQ5T2M8000000000000${String(seq).padStart(4, '0')}`,
    environment: 'prod',
    imageTag: 'v1',
    imageDigest: null,
    status: 'DEPLOYED',
    deployedAt: at,
    deployedBy: 'test',
    version: null,
    commitSha: null,
    commitAt: null,
    notes: null,
    migrations: [],
    pipelineRunUrl: null,
    rollbackOf: null,
    rolledBackAt: null,
    rolledBackBy: null,
    rollbackReason: null,
    override: null,
    updatedAt: at,
    ...overrides,
  };
}
