/**
 * The deployments table's shape, defined once. The CDK stack, the local launcher and the
 * integration tests all build the table from this, so the deployed table and the local one
 * cannot drift. Plain data: no SDK and no CDK types, so every side can read it.
 *
 * Items (all in one table):
 * - deployment  PK `ENV#<env>`  SK `DEP#<deployedAt>#<id>`; GSI1 `TAG#<tag>` / `<env>#<deployedAt>#<id>`
 * - id pointer  PK `ID#<id>`    SK `ID`          → where the record with that id lives
 * - idempotency PK `IDEMPOTENCY#<key>` SK `IDEMPOTENCY` → the first response for a key (TTL 24 h)
 * - dedup       PK `EVENT#<key>`       SK `EVENT`       → a trigger already acted on (TTL 30 days)
 * - outbox      PK `OUTBOX#<eventId>`  SK `OUTBOX`      → a notification to publish (TTL 7 days); until
 *               published also GSI2 `OUTBOX#UNPUBLISHED` / `<createdAt>#<eventId>` (the sweeper's index)
 * - environment PK `ENVIRONMENTS`       SK `ENV#<env>`   → what runs there now (`current`: a copy of the newest
 *               record; `currentSK`: its sort key, which the writes' conditions compare; `lastDeployedAt`;
 *               kept in the same transaction as each record write) and `activeRun` (the id of the
 *               environment's RUNNING rollback run, claimed and released by conditional writes)
 * - run         rollback runs (see the runs store); keys start with `RUN`
 */
export const TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Records of one image tag, per environment, newest last. */
  tagIndex: { name: 'ByTag', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /**
   * Sparse: outbox items not yet published, oldest first. `toOutboxItem` sets the partition
   * key attribute (always `OUTBOX#UNPUBLISHED`) and the ledger's `markPublished` removes it, so
   * the index holds only what the sweeper may still have to publish.
   */
  unpublishedIndex: {
    name: 'Unpublished',
    partitionKey: 'GSI2PK',
    /** `<createdAt>#<eventId>`: oldest first. */
    sortKey: 'GSI2SK',
    /** What the sweeper publishes from (beside the keys). */
    projected: ['entity', 'eventType', 'environment', 'subject', 'message'],
  },
  /** Expiry of idempotency, dedup and outbox items (epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** The notifier reads new outbox items from the table's stream. */
  streamView: 'NEW_IMAGE',
} as const;

/**
 * The partition key (`PK`, or an index's partition key) patterns of each item kind, as IAM's
 * `dynamodb:LeadingKeys` condition matches them (StringLike). functions/table-access.ts grants
 * functions items by these names; a new item kind is one line here.
 */
export const KEY_PATTERNS = {
  /** Deployment records, `ENV#<env>`. */
  environment: 'ENV#*',
  /** Id pointers, `ID#<id>`. */
  id: 'ID#*',
  /** Idempotency items, `IDEMPOTENCY#<key>`. */
  idempotency: 'IDEMPOTENCY#*',
  /** Dedup claims, `EVENT#<key>`. */
  event: 'EVENT#*',
  /** Outbox items, `OUTBOX#<eventId>`, and the Unpublished index's one partition, `OUTBOX#UNPUBLISHED`. */
  outbox: 'OUTBOX#*',
  /** The environment items' one partition, `ENVIRONMENTS` (what runs where). */
  environments: 'ENVIRONMENTS',
  /** A rollback run's id pointer, `RUN#<id>`. */
  run: 'RUN#*',
  /** An environment's rollback runs, `RUNS#<env>`. */
  runs: 'RUNS#*',
  /** The one-run-per-failed-deployment claims, `RUNCLAIM#<deployment id>`. */
  runClaim: 'RUNCLAIM#*',
  /** The ByTag index's partitions, `TAG#<tag>`. */
  tag: 'TAG#*',
} as const;

/** An item kind of KEY_PATTERNS. */
export type KeyKind = keyof typeof KEY_PATTERNS;
