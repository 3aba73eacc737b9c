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
 * - outbox      PK `OUTBOX#<eventId>`  SK `OUTBOX`      → a notification to publish (TTL 7 days)
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
  /** Expiry of idempotency, dedup and outbox items (epoch seconds). */
  ttlAttribute: 'expiresAt',
  /** The notifier reads new outbox items from the table's stream. */
  streamView: 'NEW_IMAGE',
} as const;
