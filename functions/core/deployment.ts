/**
 * The deployment record and its lifecycle, exactly as docs/API.md has them.
 */

export const STATUSES = ['IN_PROGRESS', 'DEPLOYED', 'FAILED', 'ROLLED_BACK'] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses a new record may start in. */
export const INITIAL_STATUSES = ['IN_PROGRESS', 'DEPLOYED', 'FAILED'] as const satisfies readonly Status[];
/** Statuses an IN_PROGRESS record may be finished with. */
export const FINISHED_STATUSES = ['DEPLOYED', 'FAILED'] as const satisfies readonly Status[];

export interface Migration {
  id: string;
  reversible: boolean;
  description: string | null;
}

/** The override a record was created with: it let an IN_PROGRESS start through the guards. */
export interface Override {
  reason: string;
  /** The caller who overrode (never taken from the body). */
  by: string;
}

export interface Deployment {
  id: string;
  environment: string;
  imageTag: string;
  imageDigest: string | null;
  status: Status;
  deployedAt: string;
  deployedBy: string;
  version: string | null;
  commitSha: string | null;
  /** When the deployed commit was made (RFC 3339, normalised to UTC); feeds the change lead time. */
  commitAt: string | null;
  notes: string | null;
  migrations: Migration[];
  pipelineRunUrl: string | null;
  rollbackOf: string | null;
  rolledBackAt: string | null;
  rolledBackBy: string | null;
  rollbackReason: string | null;
  /** The override it was started with (core/guards.ts); null on records without one. */
  override: Override | null;
  updatedAt: string;
}

const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  IN_PROGRESS: ['DEPLOYED', 'FAILED'],
  DEPLOYED: ['ROLLED_BACK'],
  FAILED: [],
  ROLLED_BACK: [],
};

/** Whether the contract's transition table allows `from` → `to`. */
export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Orders records newest first: by `deployedAt`, ties broken by `id` (ULIDs sort by creation).
 * This is the one ordering the table's sort keys encode; core code that sorts uses it too.
 */
export function newestFirst(a: Deployment, b: Deployment): number {
  if (a.deployedAt !== b.deployedAt) return a.deployedAt < b.deployedAt ? 1 : -1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}
