import { type Deployment, newestFirst, type Status } from '../../functions/core/deployment.js';
import {
  DuplicateEventError,
  IdempotencyConflictError,
  NotFoundError,
  TransitionConflictError,
} from '../../functions/core/errors.js';
import type { OutboxEvent } from '../../functions/core/notifications.js';
import type {
  DeploymentStore,
  EnvironmentState,
  HistoryPage,
  HistoryPorts,
  Position,
  TimeRange,
} from '../../functions/core/ports.js';

const after = (p: Position) => (r: Deployment) =>
  newestFirst(r, { deployedAt: p.deployedAt, id: p.id } as Deployment) > 0;

/**
 * An in-memory DeploymentStore for unit tests of core: the same contract as the DynamoDB
 * store (conditional status changes, idempotency, dedup claims, outbox), in plain maps.
 */
export class MemoryStore implements DeploymentStore {
  readonly records = new Map<string, Deployment>();
  readonly outbox: OutboxEvent[] = [];
  private readonly idempotency = new Map<string, { fingerprint: string; record: Deployment }>();
  private readonly claimed = new Set<string>();

  async create(record: Deployment, idempotency?: { key: string; fingerprint: string }) {
    if (idempotency) {
      const first = this.idempotency.get(idempotency.key);
      if (first && first.fingerprint !== idempotency.fingerprint) throw new IdempotencyConflictError('reused key');
      if (first) return { record: first.record, replayed: true };
      this.idempotency.set(idempotency.key, { fingerprint: idempotency.fingerprint, record });
    }
    this.records.set(record.id, structuredClone(record));
    return { record, replayed: false };
  }

  async get(id: string) {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async finish(id: string, change: { status: 'DEPLOYED' | 'FAILED'; notes?: string | undefined; updatedAt: string }) {
    const record = this.records.get(id);
    if (!record) throw new NotFoundError(`No deployment with id ${id}.`);
    if (record.status !== 'IN_PROGRESS') throw new TransitionConflictError(record.status, 'not in progress');
    Object.assign(record, { status: change.status, updatedAt: change.updatedAt });
    if (change.notes !== undefined) record.notes = change.notes;
    return structuredClone(record);
  }

  private history(environment: string) {
    return [...this.records.values()].filter((r) => r.environment === environment).sort(newestFirst);
  }

  async page(
    environment: string,
    options: { limit: number; status?: Status | undefined; after?: Position | undefined },
  ): Promise<HistoryPage> {
    const matching = this.history(environment)
      .filter(options.after ? after(options.after) : () => true)
      .filter((r) => !options.status || r.status === options.status);
    return {
      items: matching.slice(0, options.limit).map((r) => structuredClone(r)),
      hasMore: matching.length > options.limit,
    };
  }

  async *iterate(environment: string) {
    for (const record of this.history(environment)) yield structuredClone(record);
  }

  async latestOfTag(imageTag: string, environment: string) {
    return this.history(environment).find((r) => r.imageTag === imageTag);
  }

  async environmentsOfTag(imageTag: string) {
    return [
      ...new Set([...this.records.values()].filter((r) => r.imageTag === imageTag).map((r) => r.environment)),
    ].sort();
  }

  private claim(dedupKey: string | undefined) {
    if (!dedupKey) return;
    if (this.claimed.has(dedupKey)) throw new DuplicateEventError(dedupKey);
    this.claimed.add(dedupKey);
  }

  async markRolledBack(rolledBack: Deployment, options: { events: OutboxEvent[]; dedupKey?: string | undefined }) {
    const record = this.records.get(rolledBack.id);
    if (!record) throw new NotFoundError(`No deployment with id ${rolledBack.id}.`);
    if (record.status !== 'DEPLOYED') throw new TransitionConflictError(record.status, 'not deployed');
    this.claim(options.dedupKey);
    this.records.set(rolledBack.id, structuredClone(rolledBack));
    this.outbox.push(...options.events);
    return rolledBack;
  }

  async emit(events: OutboxEvent[], options: { dedupKey?: string | undefined }) {
    this.claim(options.dedupKey);
    this.outbox.push(...events);
  }

  async environments(): Promise<EnvironmentState[]> {
    const names = [...new Set([...this.records.values()].map((r) => r.environment))].sort();
    return names.map((environment) => {
      const current = this.history(environment)[0] ?? null;
      return {
        environment,
        current: current && structuredClone(current),
        lastDeployedAt: current?.deployedAt ?? null,
        activeRun: null,
        readiness: null,
      };
    });
  }

  async *range(environment: string, range: TimeRange, options: { pageSize?: number | undefined } = {}) {
    const inside = (r: Deployment) =>
      r.deployedAt.slice(0, range.from.length) >= range.from &&
      (range.to === undefined || r.deployedAt.slice(0, range.to.length) <= range.to);
    const records = this.history(environment).reverse().filter(inside);
    const size = options.pageSize ?? 100;
    for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size).map((r) => structuredClone(r));
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function crockford(n: number): string {
  let out = '';
  do {
    out = CROCKFORD[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return out;
}

/**
 * The cursor key of the tests' ports (memoryPorts, freshTable): fixed, so a failing cursor test
 * can be replayed, and not a key any deployed or local service uses.
 */
export const TEST_CURSOR_KEY = 'test-only-cursor-key-0123456789abcdef';

/** Ports over a MemoryStore with a controllable clock, predictable ULIDs and the test cursor key. */
export function memoryPorts(start = new Date('2026-11-27T10:00:00.000Z')) {
  const store = new MemoryStore();
  let now = start.getTime();
  let seq = 0;
  const ports: HistoryPorts = {
    deployments: store,
    cursorKey: TEST_CURSOR_KEY,
    now: () => new Date(now),
    // Valid ULIDs that sort by creation: a fixed time part and a growing counter.
    newId: () => `01JDQ5T2M8${crockford(seq++).padStart(16, '0')}`,
  };
  return { ports, store, advance: (ms: number) => (now += ms) };
}
