/**
 * The contract's input rules as zod schemas: one per input, unknown members rejected.
 * Parsing (turning a request into these inputs) lives in lib/http.ts; the rules live here
 * so that the use cases, the CLI and the tests share one definition of a valid field.
 */
import { z } from 'zod';
import { FINISHED_STATUSES, INITIAL_STATUSES, STATUSES } from './deployment.js';

export const ENVIRONMENT_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export const Environment = z
  .string()
  .regex(ENVIRONMENT_PATTERN, 'must be 1-32 lowercase letters, digits or inner hyphens (e.g. prod, eu-prod)');
export const ImageTag = z
  .string()
  .regex(IMAGE_TAG_PATTERN, 'must be a Docker image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}');
export const DeploymentId = z.string().regex(ULID_PATTERN, 'must be a ULID (26 characters, Crockford base32)');

const Migration = z.strictObject({
  id: z.string().min(1).max(128),
  reversible: z.boolean({ error: 'is required and must be true or false' }),
  description: z.string().max(1024).optional(),
});

/** ISO 8601 date-time with a zone (Z or ±hh:mm), normalised to UTC with milliseconds. */
const Timestamp = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-27T10:00:00Z' })
  .transform((s) => new Date(s).toISOString());

export const RecordDeploymentInput = z.strictObject({
  environment: Environment,
  imageTag: ImageTag,
  status: z.enum(INITIAL_STATUSES).default('DEPLOYED'),
  imageDigest: z.string().regex(DIGEST_PATTERN, 'must be sha256: followed by 64 lowercase hex digits').optional(),
  version: z.string().min(1).max(128).optional(),
  commitSha: z
    .string()
    .regex(/^[0-9a-fA-F]{7,64}$/, 'must be 7-64 hex digits')
    .optional(),
  notes: z.string().max(4096).optional(),
  migrations: z.array(Migration).max(50).optional(),
  pipelineRunUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .max(2048)
    .optional(),
  rollbackOf: DeploymentId.optional(),
  deployedAt: Timestamp.optional(),
});
export type RecordDeploymentInput = z.infer<typeof RecordDeploymentInput>;

export const FinishDeploymentInput = z.strictObject({
  status: z.enum(FINISHED_STATUSES),
  notes: z.string().max(4096).optional(),
});
export type FinishDeploymentInput = z.infer<typeof FinishDeploymentInput>;

export const RollbackInput = z.strictObject({
  environment: Environment.optional(),
  reason: z.string().max(1024).optional(),
});
export type RollbackInput = z.infer<typeof RollbackInput>;

/** A query-string integer: digits only, so "abc", "1.5" and "" are rejected, not coerced. */
const QueryInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

export const HistoryQuery = z.strictObject({
  environment: Environment,
  limit: QueryInt(1, 100, 20),
  status: z.enum(STATUSES).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const RollbackTargetQuery = z.strictObject({
  environment: Environment,
  imageTag: ImageTag.optional(),
});

export const OptionalEnvironmentQuery = z.strictObject({
  environment: Environment.optional(),
});

export const TagPath = z.strictObject({ imageTag: ImageTag });
export const IdPath = z.strictObject({ id: DeploymentId });

/** The longest auto-rollback window: a deployment older than a week is not an alarm's suspect. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

/**
 * Which environment an alarm guards, and how recent a deployment must be to be blamed. One
 * definition for the function's ALARM_RULES and the CDK app's `autoRollback` setting, so a
 * rule the function would refuse fails at synth.
 */
export const AlarmRule = z.strictObject({
  environment: Environment,
  windowMinutes: z.number().int().min(1).max(MAX_WINDOW_MINUTES),
});
export type AlarmRule = z.infer<typeof AlarmRule>;

/** An alarm's name as CloudWatch allows it. */
export const AlarmName = z.string().min(1).max(255);

/** `Idempotency-Key` header: printable ASCII, as the IETF draft's examples use. */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters without spaces');
