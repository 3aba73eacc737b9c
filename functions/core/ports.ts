/**
 * The ports the use cases depend on. The DynamoDB adapter implements DeploymentStore for
 * real; the unit tests use an in-memory one. Nothing here knows about AWS.
 */
import type { AccessContext } from './access-policy.js';
import type { ChatContext } from './chat-notification.js';
import type { Deployment, FINISHED_STATUSES, Status } from './deployment.js';
import type { ReadinessSummary } from './guards.js';
import type { EventType, OutboxEvent } from './notifications.js';

/** A record's place in an environment's history (the order of `newestFirst`). */
export interface Position {
  deployedAt: string;
  id: string;
}

export interface HistoryPage {
  items: Deployment[];
  /** Whether records after the last item may exist (false: none do). */
  hasMore: boolean;
}

/** An environment as its environment item has it: what runs there now, kept with each record write. */
export interface EnvironmentState {
  environment: string;
  /** The environment's most recent record (by deployedAt, then id), as it stands now; null before any. */
  current: Deployment | null;
  /** `current.deployedAt`, or null. */
  lastDeployedAt: string | null;
  /** The id of the environment's RUNNING rollback run, or null (set by the rollback-run work). */
  activeRun: string | null;
  /** Would a rollback work right now: the last readiness check's summary, or null before the first. */
  readiness: ReadinessSummary | null;
}

/**
 * A range of an environment's history by `deployedAt`, oldest first. Both bounds are prefixes
 * of a `deployedAt` (a date `YYYY-MM-DD` or a full timestamp) and are inclusive: `to`
 * `2026-11-29` takes in every record of that day. No `to`: up to the newest record.
 */
export interface TimeRange {
  from: string;
  to?: string | undefined;
}

/** The reads of the deployment records: all a function that only reads is given. */
export interface DeploymentReader {
  get(id: string): Promise<Deployment | undefined>;

  /** One page of an environment's history, newest first, strictly after `after`. */
  page(
    environment: string,
    options: { limit: number; status?: Status | undefined; after?: Position | undefined },
  ): Promise<HistoryPage>;

  /** An environment's history newest first, fetched lazily page by page. */
  iterate(environment: string): AsyncIterable<Deployment>;

  /**
   * The most recent record of `imageTag` in `environment`. The tag index may lag the table
   * for a moment; `fresh` asks for an answer that also sees a record written just now (a
   * write decision needs it; a read can do without, and costs less).
   */
  latestOfTag(
    imageTag: string,
    environment: string,
    options?: { fresh?: boolean | undefined },
  ): Promise<Deployment | undefined>;

  /** The environments that hold at least one record of `imageTag`, sorted. */
  environmentsOfTag(imageTag: string): Promise<string[]>;

  /**
   * Every environment that has a record, sorted by name, from the environment items alone:
   * the cost follows the number of environments, never the number of records.
   */
  environments(): Promise<EnvironmentState[]>;

  /**
   * An environment's records in `range`, oldest first, one array per page read, fetched lazily
   * `pageSize` at a time (default: as many as one request returns), so a reader that stops
   * early reads no more. Pages rather than records: a metrics window holds a thousand, and
   * handing them over one await at a time cost more than the metrics themselves.
   */
  range(
    environment: string,
    range: TimeRange,
    options?: { pageSize?: number | undefined },
  ): AsyncIterable<Deployment[]>;
}

/** The reads and the writes of the deployment records. */
export interface DeploymentStore extends DeploymentReader {
  /**
   * Writes a new record. With an idempotency key, the first write under that key wins:
   * a later call with the same fingerprint gets the first record back (`replayed: true`),
   * one with another fingerprint throws IdempotencyConflictError.
   */
  create(
    record: Deployment,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<{ record: Deployment; replayed: boolean }>;

  /** IN_PROGRESS → DEPLOYED | FAILED, as a conditional write. */
  finish(
    id: string,
    change: { status: (typeof FINISHED_STATUSES)[number]; notes?: string | undefined; updatedAt: string },
  ): Promise<Deployment>;

  /**
   * Stores `rolledBack` (a DEPLOYED record already turned ROLLED_BACK by core) as a write
   * conditional on the stored status still being DEPLOYED, with `events` written to the
   * outbox in the same transaction. A lost race is TransitionConflictError with the status
   * found. With `dedupKey`, the write also claims that key, and a second claim throws
   * DuplicateEventError: a redelivered trigger changes nothing.
   */
  markRolledBack(
    rolledBack: Deployment,
    options: { events: OutboxEvent[]; dedupKey?: string | undefined },
  ): Promise<Deployment>;

  /** Writes `events` to the outbox on their own, claiming `dedupKey` as markRolledBack does. */
  emit(events: OutboxEvent[], options: { dedupKey?: string | undefined }): Promise<void>;
}

/** Everything a use case may need from the outside world. */
export interface Ports {
  deployments: DeploymentStore;
  now: () => Date;
  newId: () => string;
  /**
   * The caller and the access policy, set per request by the HTTP functions when a policy
   * is configured (access-policy.ts); absent, the use cases check nothing.
   */
  access?: AccessContext | undefined;
}

/** The store's writes, by name. */
export type WriteName = Exclude<keyof DeploymentStore, keyof DeploymentReader>;

/**
 * What a use case that makes some of the store's writes (`W`) needs: the reads, those writes,
 * and new ids. A route's function is then given a store with no other write.
 */
export interface WritePorts<W extends WriteName> extends ReadPorts {
  deployments: DeploymentReader & Pick<DeploymentStore, W>;
  newId: () => string;
}

/** What a use case that only reads records needs: no writes, no new ids. */
export interface ReadPorts {
  deployments: DeploymentReader;
  now: () => Date;
  access?: AccessContext | undefined;
}

/**
 * What listHistory needs on top of Ports: the key its cursors are signed with (cursor.ts).
 * A port of its own rather than a member of Ports, because only the history route holds the
 * key (CURSOR_KEY): every other function's ports, and its configuration, go without it, and
 * the type says which use case needs it.
 */
export interface CursorKeyPort {
  /** The HMAC key of history cursors: a secret of the service, never sent to a client. */
  cursorKey: string;
}

/** Every port and the cursor key: what the functions and tests that read histories hold. */
export type HistoryPorts = Ports & CursorKeyPort;

/** One outbox item as the notifier finds it: the message body stays the JSON text stored. */
export interface Notification {
  eventId: string;
  eventType: EventType;
  environment: string;
  subject: string;
  /** The versioned JSON body (see notifications.ts), exactly as written in the transaction. */
  message: string;
}

/** Where notifications go: the rollback topic in AWS, a file in local mode. */
export interface Publisher {
  /** Resolves once the message is accepted; rejects when it may not have been. */
  publish(notification: Notification): Promise<void>;
}

/**
 * Where an outbox item is published: `topic`, the rollback topic (the message as written, the
 * JSON pipelines filter on); `chat`, the chat topic where there is one (the message rendered
 * for Amazon Q Developer, core/chat-notification.ts). Each exactly once, each on its own.
 */
export const DESTINATIONS = ['topic', 'chat'] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** What the ledger knows of one outbox item. */
export interface LedgerEntry {
  /** The destinations its publication to is recorded. */
  published: Destination[];
  /** Still in the Unpublished index (the sweeper's to look at). */
  pending: boolean;
}

/**
 * Which outbox items are already published, and where. Stream records are delivered at least
 * once, a failed batch is redelivered from its first failure, and the sweeper may take an item
 * the stream is still retrying; the ledger keeps each of those from publishing a message to a
 * destination again.
 */
export interface OutboxLedger {
  /** A consistent read: a mark written by the previous delivery must be seen. */
  lookUp(eventId: string): Promise<LedgerEntry>;
  /**
   * Records the publication to `destination`; false when it was already recorded (another
   * delivery got there first). Once every destination of `owed` is recorded, whoever recorded
   * the last takes the item out of the Unpublished index.
   */
  markPublished(eventId: string, destination: Destination, at: string, owed: readonly Destination[]): Promise<boolean>;
  /** Takes the item out of the Unpublished index if every destination of `owed` is recorded. */
  settle(eventId: string, owed: readonly Destination[]): Promise<void>;
}

/** What the notifier needs. */
export interface NotifierPorts {
  ledger: OutboxLedger;
  /** The rollback topic. */
  publisher: Publisher;
  /** The chat topic, where there is one, and what its renderings name (the redeploy targets). */
  chat?: { publisher: Publisher; context: ChatContext };
  now: () => Date;
}

/** Outbox items not yet published, oldest first: what the sweeper looks at. */
export interface UnpublishedOutbox {
  /**
   * Up to `limit` items created before `before` (ISO time) and not yet published. An item that
   * cannot be read as a notification comes back as `{ malformed }`, so one bad item cannot
   * hide the others.
   */
  olderThan(before: string, limit: number): Promise<(Notification | { malformed: string })[]>;
}

/** What the sweeper needs: the notifier's ports, and the unpublished items. */
export interface SweeperPorts extends NotifierPorts {
  unpublished: UnpublishedOutbox;
}

/** What CloudWatch says of an alarm state change an event claims. */
export type AlarmVerdict = { confirmed: true; how: string } | { confirmed: false; why: string };

/**
 * Confirms with CloudWatch, not with the event, that an alarm went into ALARM at the time the
 * event says: whoever may invoke the auto-rollback function could otherwise forge an alarm.
 * Rejects when CloudWatch cannot be asked (the caller retries); never guesses.
 */
export interface AlarmConfirmer {
  confirm(change: { name: string; arn: string; stateChangedAt: string }): Promise<AlarmVerdict>;
}
