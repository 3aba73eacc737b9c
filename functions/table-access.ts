/**
 * What each function may do to the deployments table, declared next to the code that does
 * it: which DynamoDB actions, on which item kinds (partition key prefixes), on the table or on
 * one of its indexes. ServiceFunction.bindTable grants exactly this, one IAM statement per
 * grant, with the kinds as a `dynamodb:LeadingKeys` condition. Plain data, so the route table
 * (which every handler bundles) can carry it.
 *
 * How IAM authorises what the store sends: GetItem, PutItem, UpdateItem and Query by their own
 * names (a Query's leading key is the partition key value it asks for: on an index, the index's
 * partition key); a TransactWriteItems item by item, as PutItem, UpdateItem, ConditionCheckItem
 * (and DeleteItem). So a transaction needs no action of its own.
 */
import { KEY_PATTERNS, type KeyKind, TABLE_SCHEMA } from './adapters/table-schema.js';

/** The DynamoDB actions the store sends, as IAM names them (without the `dynamodb:` prefix). */
export type TableAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'ConditionCheckItem';

/** The table's global secondary indexes, by name. */
export type IndexName = typeof TABLE_SCHEMA.tagIndex.name | typeof TABLE_SCHEMA.unpublishedIndex.name;

/** Some actions on the items of some kinds, of the table or (Query only) of one index. */
export interface TableGrant {
  actions: readonly TableAction[];
  keys: readonly KeyKind[];
  /** The grant is on this index instead of the table. */
  index?: IndexName;
}

/** Everything one function may do to the table. */
export type TableAccess = readonly TableGrant[];

/** The `dynamodb:LeadingKeys` patterns of a grant's item kinds. */
export const leadingKeys = (grant: TableGrant): string[] => grant.keys.map((kind) => KEY_PATTERNS[kind]);

const TAG_INDEX: TableGrant = { actions: ['Query'], keys: ['tag'], index: TABLE_SCHEMA.tagIndex.name };
/** Walking an environment's history, and the fresh (table) half of a tag lookup. */
const HISTORY: TableGrant = { actions: ['Query'], keys: ['environment'] };
/** Keeping the environment item's `current` in the write's transaction (isCurrent reads it first). */
const CURRENT: TableGrant = { actions: ['GetItem', 'UpdateItem'], keys: ['environments'] };

/**
 * Starting a rollback run (start-run.ts, dynamodb/run-start.ts's start): the target's lookups, the
 * replay and active-run reads, and the start transaction (the environment's `activeRun`, the
 * deployment's claim, the run and its pointer, the idempotency item, ROLLBACK_STARTED).
 */
const START_RUN: readonly TableGrant[] = [
  HISTORY,
  TAG_INDEX,
  { actions: ['GetItem'], keys: ['environments', 'idempotency', 'run', 'runs'] },
  { actions: ['UpdateItem'], keys: ['environments'] },
  { actions: ['PutItem'], keys: ['idempotency', 'outbox', 'run', 'runClaim', 'runs'] },
];

/**
 * The access of each function, by what its code calls (the store method → its requests):
 * - create: TransactWriteItems of Puts (record, id pointer, idempotency item, GUARD_BYPASSED),
 *   then GetItem of the idempotency item on a replay; get: GetItem of the id pointer, then of
 *   the record. A guarded create conditions its environment item's Update (or, where a newer
 *   record is current, a ConditionCheck of it) on the hold and the count of rollbacks.
 * - environment: GetItem of one environment item; tagRecords: Query of ByTag, GetItem of records.
 * - putHold / releaseHold: TransactWriteItems of an Update of the environment item and a Put (outbox).
 * - finish: GetItem of the id pointer, UpdateItem of the record.
 * - page/iterate: Query of `ENV#`; latestOfTag/environmentsOfTag: Query of ByTag (`TAG#`), and
 *   with `fresh` a Query of `ENV#`.
 * - markRolledBack: TransactWriteItems of an Update (record), a Put (dedup claim, when given)
 *   and Puts (outbox); emit: the dedup Put and the outbox Puts.
 * - every record write (create, finish, markRolledBack) also updates its environment's item
 *   (`ENVIRONMENTS`) in the same transaction; a status change reads that item first (GetItem).
 * - environments: Query of the `ENVIRONMENTS` partition.
 * - the outbox ledger: GetItem and UpdateItem of `OUTBOX#` items.
 */
export const TABLE_ACCESS = {
  /**
   * POST /: create (and get, for `rollbackOf`); the guards: the environment item (GetItem), the
   * tag's records (tagRecords: ByTag, then GetItem of each), GUARD_BYPASSED (the outbox Put),
   * and the create's condition on the environment item (in its Update, or a ConditionCheck
   * where a newer record is current).
   */
  recordDeployment: [
    TAG_INDEX,
    { actions: ['GetItem'], keys: ['environment', 'environments', 'id', 'idempotency'] },
    { actions: ['PutItem'], keys: ['environment', 'id', 'idempotency', 'outbox'] },
    { actions: ['UpdateItem', 'ConditionCheckItem'], keys: ['environments'] },
  ] satisfies TableAccess,
  /** PATCH /{id}: get, finish. */
  finishDeployment: [
    { actions: ['GetItem'], keys: ['environment', 'id'] },
    { actions: ['UpdateItem'], keys: ['environment'] },
    CURRENT,
  ] satisfies TableAccess,
  /** GET /history, GET /metrics: page, the window's Query. */
  listHistory: [HISTORY] satisfies TableAccess,
  /** GET /rollback-target, GET /tag/{imageTag}, GET /tag/{imageTag}/exists: page, iterate, the tag lookups. */
  readTags: [HISTORY, TAG_INDEX] satisfies TableAccess,
  /** POST /tag/{imageTag}/rollback: the tag lookups, the history walk, markRolledBack with outbox items. */
  rollback: [
    HISTORY,
    TAG_INDEX,
    { actions: ['UpdateItem'], keys: ['environment'] },
    { actions: ['PutItem'], keys: ['outbox'] },
    CURRENT,
  ] satisfies TableAccess,
  /**
   * The automated rollback: as `rollback`, plus the dedup claim (markRolledBack and emit with a
   * dedupKey), plus starting runs where the environment has a redeploy target.
   */
  autoRollback: [
    HISTORY,
    TAG_INDEX,
    { actions: ['UpdateItem'], keys: ['environment'] },
    { actions: ['PutItem'], keys: ['event', 'outbox'] },
    CURRENT,
    ...START_RUN,
  ] satisfies TableAccess,
  /** POST /rollbacks: start a run. */
  startRun: START_RUN satisfies TableAccess,
  /** GET /rollbacks: an environment's runs (Query of `RUNS#`). */
  listRuns: [{ actions: ['Query'], keys: ['runs'] }] satisfies TableAccess,
  /** GET /rollbacks/{id}: the run's pointer, then the run. */
  getRun: [{ actions: ['GetItem'], keys: ['run', 'runs'] }] satisfies TableAccess,
  /** GET /{id}: the record's pointer, then the record. */
  getDeployment: [{ actions: ['GetItem'], keys: ['environment', 'id'] }] satisfies TableAccess,
  /**
   * The run workflow (run-steps.ts): the history and tag reads; get; create (the redeploy
   * record); finish; markRolledBack; emit (ROLLBACK_REQUESTED of the callback target, claimed
   * per run); the run's progress (save) and its end (finish: the run, `activeRun`, the outbox).
   */
  runWorkflow: [
    HISTORY,
    TAG_INDEX,
    { actions: ['GetItem'], keys: ['environment', 'id', 'idempotency'] },
    { actions: ['PutItem'], keys: ['environment', 'event', 'id', 'idempotency', 'outbox'] },
    { actions: ['UpdateItem'], keys: ['environment', 'runs'] },
    CURRENT,
  ] satisfies TableAccess,
  /** GET /environments/{environment}/readiness: the bounded walk of the history (evaluateReadiness). */
  readReadiness: [HISTORY] satisfies TableAccess,
  /**
   * The readiness refresh: the walk, the environment items (the list for the hourly refresh, the
   * summary read and its conditional update) and the transitions' outbox items.
   */
  refreshReadiness: [
    HISTORY,
    { actions: ['Query', 'GetItem', 'UpdateItem'], keys: ['environments'] },
    { actions: ['PutItem'], keys: ['outbox'] },
  ] satisfies TableAccess,
  /** GET /environments: one Query of the environment items. */
  listEnvironments: [{ actions: ['Query'], keys: ['environments'] }] satisfies TableAccess,
  /** GET /environments/{environment}: one GetItem of the environment item. */
  getEnvironment: [{ actions: ['GetItem'], keys: ['environments'] }] satisfies TableAccess,
  /**
   * POST /environments/{environment}/hold and /release: the environment item (GetItem, and the
   * hold's UpdateItem in a transaction) and the outbox Put of ENVIRONMENT_HELD / _RELEASED.
   */
  holds: [
    { actions: ['GetItem', 'UpdateItem'], keys: ['environments'] },
    { actions: ['PutItem'], keys: ['outbox'] },
  ] satisfies TableAccess,
  /**
   * GET /environments/{environment}/gate: the environment item (GetItem), and the tag's records
   * there (tagRecords: a Query of ByTag, then a GetItem of each record it walks).
   */
  gate: [TAG_INDEX, { actions: ['GetItem'], keys: ['environments', 'environment'] }] satisfies TableAccess,
  /** The notifier: the outbox ledger only. */
  notifier: [{ actions: ['GetItem', 'UpdateItem'], keys: ['outbox'] }] satisfies TableAccess,
  /** The sweeper: the Unpublished index, and the outbox ledger. */
  sweeper: [
    { actions: ['Query'], keys: ['outbox'], index: TABLE_SCHEMA.unpublishedIndex.name },
    { actions: ['GetItem', 'UpdateItem'], keys: ['outbox'] },
  ] satisfies TableAccess,
} as const;
