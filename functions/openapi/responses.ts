/**
 * What the service answers, as zod schemas: the record, the history page, the rollback
 * target, the exists answer and the problem document. Only the OpenAPI document and the
 * tests read these; no handler imports this module, so none of it reaches a Lambda bundle.
 * The handlers build their answers from the core types (core/deployment.ts); the e2e suite
 * checks every answer against the document made from these, so the two cannot drift apart.
 */
import { ACTIONS } from '../core/access-policy.js';
import { STATUSES } from '../core/deployment.js';
import { READINESS_CHECKS } from '../core/guards.js';
import { DIGEST_PATTERN, ENVIRONMENT_PATTERN, IMAGE_TAG_PATTERN, ULID_PATTERN } from '../core/schemas.js';
import * as z from '../core/zod.js';

const pattern = (re: RegExp) => z.string().check(z.regex(re));
const nullable = <T extends z.ZodMiniType>(schema: T) => z.nullable(schema);
/** Timestamps the service writes: UTC with milliseconds, e.g. 2026-11-27T10:00:00.000Z. */
const Instant = z.iso.datetime();

export const DeploymentRecord = z.strictObject({
  id: pattern(ULID_PATTERN),
  environment: pattern(ENVIRONMENT_PATTERN),
  imageTag: pattern(IMAGE_TAG_PATTERN),
  imageDigest: nullable(pattern(DIGEST_PATTERN)),
  status: z.enum(STATUSES),
  deployedAt: Instant,
  deployedBy: z.string(),
  version: nullable(z.string()),
  commitSha: nullable(z.string()),
  commitAt: nullable(Instant),
  notes: nullable(z.string()),
  migrations: z.array(z.strictObject({ id: z.string(), reversible: z.boolean(), description: nullable(z.string()) })),
  pipelineRunUrl: nullable(z.string()),
  rollbackOf: nullable(pattern(ULID_PATTERN)),
  rolledBackAt: nullable(Instant),
  rolledBackBy: nullable(z.string()),
  rollbackReason: nullable(z.string()),
  /** The override a start came through the guards with (`by`: the caller); null without one. */
  override: nullable(z.strictObject({ reason: z.string(), by: z.string() })),
  updatedAt: Instant,
});

export const HistoryPage = z.strictObject({
  items: z.array(DeploymentRecord),
  /** null: the history ends here. */
  nextCursor: nullable(z.string()),
});

export const RollbackTarget = z.strictObject({
  current: DeploymentRecord,
  target: DeploymentRecord,
});

export const TagExistsAnswer = z.strictObject({
  imageTag: pattern(IMAGE_TAG_PATTERN),
  exists: z.boolean(),
  environments: z.array(pattern(ENVIRONMENT_PATTERN)),
});

const RunStepName = z.enum(['identify', 'checks', 'mark', 'redeploy', 'record', 'verify']);

/** A rollback run: one rollback of one environment, carried out by the service, with its steps. */
export const RollbackRun = z.strictObject({
  id: pattern(ULID_PATTERN),
  environment: pattern(ENVIRONMENT_PATTERN),
  trigger: z.enum(['alarm', 'manual']),
  alarm: nullable(
    z.strictObject({ name: z.string(), arn: z.string(), reason: z.string(), stateChangedAt: z.string() }),
  ),
  requestedBy: z.string(),
  reason: z.string(),
  current: z.strictObject({ id: pattern(ULID_PATTERN), imageTag: pattern(IMAGE_TAG_PATTERN) }),
  target: z.strictObject({
    id: pattern(ULID_PATTERN),
    imageTag: pattern(IMAGE_TAG_PATTERN),
    imageDigest: nullable(pattern(DIGEST_PATTERN)),
  }),
  redeploy: nullable(
    z.strictObject({
      via: z.enum(['callback', 'command', 'ecs', 'codepipeline', 'github-actions']),
      deploymentId: nullable(pattern(ULID_PATTERN)),
      externalId: nullable(z.string()),
      url: nullable(z.string()),
    }),
  ),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  steps: z.array(
    z.strictObject({
      name: RunStepName,
      status: z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED']),
      startedAt: nullable(Instant),
      endedAt: nullable(Instant),
      detail: nullable(z.string()),
    }),
  ),
  failure: nullable(z.strictObject({ step: RunStepName, detail: z.string() })),
  startedAt: Instant,
  endedAt: nullable(Instant),
});

export const RunsPage = z.strictObject({
  items: z.array(RollbackRun),
  /** null: no older runs. */
  nextCursor: nullable(z.string()),
});

/** An environment's hold: forward starts are refused until a person releases it. */
export const HoldShape = z.strictObject({
  reason: z.string(),
  by: z.string(),
  since: Instant,
  cause: z.strictObject({
    kind: z.enum(['rollback', 'manual']),
    deploymentId: nullable(pattern(ULID_PATTERN)),
    runId: nullable(pattern(ULID_PATTERN)),
  }),
});

/** The readiness summary an environment item keeps (null before the first check). */
export const ReadinessSummaryShape = z.strictObject({
  ready: z.boolean(),
  checkedAt: Instant,
  failing: z.array(z.enum(READINESS_CHECKS)),
});

/** GET .../environments/{environment}/readiness: would a rollback work right now? */
export const ReadinessAnswer = z.strictObject({
  environment: pattern(ENVIRONMENT_PATTERN),
  ready: z.boolean(),
  checkedAt: Instant,
  current: nullable(DeploymentRecord),
  target: nullable(DeploymentRecord),
  checks: z.array(
    z.strictObject({
      name: z.enum(READINESS_CHECKS),
      status: z.enum(['PASSED', 'FAILED', 'SKIPPED']),
      detail: z.string(),
    }),
  ),
});

/** One row of GET .../environments (and GET .../environments/{environment}): what runs where. */
export const EnvironmentRow = z.strictObject({
  environment: pattern(ENVIRONMENT_PATTERN),
  current: nullable(DeploymentRecord),
  lastDeployedAt: nullable(Instant),
  redeploy: nullable(z.strictObject({ via: z.string() })),
  activeRun: nullable(pattern(ULID_PATTERN)),
  hold: nullable(HoldShape),
  readiness: nullable(ReadinessSummaryShape),
});

/** GET .../environments/{environment}/gate: may this tag go there now, and why not. */
export const GateAnswer = z.strictObject({
  environment: pattern(ENVIRONMENT_PATTERN),
  imageTag: pattern(IMAGE_TAG_PATTERN),
  allowed: z.boolean(),
  reasons: z.array(z.strictObject({ guard: z.enum(['hold', 'known-bad', 'readiness']), detail: z.string() })),
  hold: nullable(HoldShape),
  readiness: nullable(ReadinessSummaryShape),
});

export const EnvironmentsAnswer = z.strictObject({ items: z.array(EnvironmentRow) });

const Spread = { median: nullable(z.number()), p90: nullable(z.number()) };
const Ratio = z.strictObject({
  value: nullable(z.number()),
  numerator: z.int(),
  denominator: z.int(),
  ids: z.array(pattern(ULID_PATTERN)),
});
const Figures = {
  deploymentFrequency: z.strictObject({ count: z.int(), forward: z.int() }),
  changeLeadTime: z.strictObject({ ...Spread, count: z.int() }),
  changeFailRate: Ratio,
  failedDeploymentRecoveryTime: z.strictObject({
    ...Spread,
    count: z.int(),
    detection: z.strictObject(Spread),
    restore: z.strictObject(Spread),
    unrecovered: z.array(pattern(ULID_PATTERN)),
  }),
  reworkRate: Ratio,
};
const CalendarDay = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/));

/** GET .../metrics: the five DORA figures for the window, and per period. */
export const MetricsAnswer = z.strictObject({
  environment: pattern(ENVIRONMENT_PATTERN),
  from: CalendarDay,
  to: CalendarDay,
  interval: z.enum(['day', 'week', 'month', 'all']),
  summary: z.strictObject(Figures),
  series: z.array(z.strictObject({ start: CalendarDay, end: CalendarDay, ...Figures })),
});

/** RFC 9457 problem details, with the contract's extension members. */
export const Problem = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.optional(z.string()),
  /** Invalid input (400): one entry per bad field, query parameter, header or the body itself. */
  errors: z.optional(z.array(z.strictObject({ field: z.string(), message: z.string() }))),
  /** A transition conflict (409): the record's status now. */
  currentStatus: z.optional(z.enum(STATUSES)),
  /** An ambiguous image tag (409): the environments that hold it. */
  environments: z.optional(z.array(pattern(ENVIRONMENT_PATTERN))),
  /** A rollback run is already RUNNING in the environment (409): its id. */
  runId: z.optional(pattern(ULID_PATTERN)),
  /** A held environment (409 environment-held, or a second hold): the hold. */
  hold: z.optional(HoldShape),
  /** A known-bad image tag (409 known-bad-image-tag): the ROLLED_BACK record that makes it so. */
  deploymentId: z.optional(pattern(ULID_PATTERN)),
});

/**
 * The service's own 403 (core/access-policy.ts's AccessDeniedError): the access policy does not
 * allow the caller this action in this environment. Told apart from API Gateway's 403 by its
 * content type (application/problem+json) and its `environment` and `action` members.
 */
export const AccessDenied = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.literal(403),
  detail: z.string(),
  instance: z.optional(z.string()),
  /** The environment the caller may not act in. */
  environment: pattern(ENVIRONMENT_PATTERN),
  /** What the caller may not do there. */
  action: z.enum(ACTIONS),
});

/** What API Gateway itself answers (403 unsigned or not allowed, 429 throttled) before any function runs. */
export const GatewayError = z.object({ message: z.string() });
