/**
 * The contract's input rules as zod schemas: one per input, unknown members rejected.
 * Parsing (turning a request into these inputs) lives in lib/http.ts; the rules live here
 * so that the use cases, the CLI and the tests share one definition of a valid field.
 *
 * Every schema is built on first use (`lazySchema`), not at import: a function's cold start
 * builds only the schemas its route parses, and, the calls being marked pure, the bundler
 * drops the schemas (and the zod types behind them) a function never uses.
 */
import { STATUSES } from './deployment.js';
import { lazySchema } from './lazy-schema.js';
import { INTERVALS } from './metrics.js';
import * as z from './zod.js';

export const ENVIRONMENT_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A ULID: 26 Crockford base32 characters, the first at most 7 (48-bit time). */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

export const Environment = /* @__PURE__ */ lazySchema(() =>
  z
    .string()
    .check(
      z.regex(ENVIRONMENT_PATTERN, 'must be 1-32 lowercase letters, digits or inner hyphens (e.g. prod, eu-prod)'),
    ),
);
export const ImageTag = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(IMAGE_TAG_PATTERN, 'must be a Docker image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}')),
);
export const DeploymentId = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(ULID_PATTERN, 'must be a ULID (26 characters, Crockford base32)')),
);

/** A string of `min` to `max` characters, with zod's own messages. */
const sized = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
/** A string of at most `max` characters, with zod's own message. */
const upTo = (max: number) => z.string().check(z.maxLength(max));

const Migration = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    id: sized(1, 128),
    reversible: z.boolean({ error: 'is required and must be true or false' }),
    description: z.optional(upTo(1024)),
  }),
);

/** ISO 8601 date-time with a zone (Z or ±hh:mm), normalised to UTC with milliseconds. */
const Timestamp = /* @__PURE__ */ lazySchema(() =>
  z.pipe(
    z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-27T10:00:00Z' }),
    z.transform((s: string) => new Date(s).toISOString()),
  ),
);

export const RecordDeploymentInput = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    imageTag: ImageTag,
    // Any status is well-formed here; which ones a new record may start in is a transition
    // rule, so the use case answers 409 for the others (contract: anything else is 409).
    status: z._default(z.enum(STATUSES), 'DEPLOYED'),
    imageDigest: z.optional(
      z.string().check(z.regex(DIGEST_PATTERN, 'must be sha256: followed by 64 lowercase hex digits')),
    ),
    version: z.optional(sized(1, 128)),
    commitSha: z.optional(z.string().check(z.regex(/^[0-9a-fA-F]{7,64}$/, 'must be 7-64 hex digits'))),
    notes: z.optional(upTo(4096)),
    migrations: z.optional(z.array(Migration).check(z.maxLength(50))),
    pipelineRunUrl: z.optional(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).check(
        z.maxLength(2048),
        // Records are read by everyone with API access: a URL must not carry a password.
        z.refine((url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url), 'must not contain credentials (user:password@)'),
      ),
    ),
    rollbackOf: z.optional(DeploymentId),
    deployedAt: z.optional(Timestamp),
    commitAt: z.optional(Timestamp),
  }),
);
export type RecordDeploymentInput = z.infer<typeof RecordDeploymentInput>;

export const FinishDeploymentInput = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    status: z.enum(STATUSES),
    notes: z.optional(upTo(4096)),
  }),
);
export type FinishDeploymentInput = z.infer<typeof FinishDeploymentInput>;

export const RollbackInput = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: z.optional(Environment),
    reason: z.optional(upTo(1024)),
  }),
);
export type RollbackInput = z.infer<typeof RollbackInput>;

/** A query-string integer: digits only, so "abc", "1.5" and "" are rejected, not coerced. */
const QueryInt = (min: number, max: number, fallback: number) =>
  z._default(
    z.pipe(
      z.pipe(
        z.string().check(z.regex(/^\d{1,6}$/, `must be a whole number from ${min} to ${max}`)),
        z.transform(Number),
      ),
      z.number().check(z.minimum(min, `must be at least ${min}`), z.maximum(max, `must be at most ${max}`)),
    ),
    fallback,
  );

export const HistoryQuery = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    limit: QueryInt(1, 100, 20),
    status: z.optional(z.enum(STATUSES)),
    cursor: z.optional(sized(1, 2048)),
  }),
);
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const RollbackTargetQuery = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    imageTag: z.optional(ImageTag),
  }),
);

/** POST .../rollbacks: start a rollback run. */
export const StartRunInput = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    reason: sized(1, 1024),
    targetImageTag: z.optional(ImageTag),
  }),
);
export type StartRunInput = z.infer<typeof StartRunInput>;

/** GET .../rollbacks: an environment's runs, paged like history. */
export const RunsQuery = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    limit: QueryInt(1, 100, 20),
    cursor: z.optional(sized(1, 2048)),
  }),
);
export type RunsQuery = z.infer<typeof RunsQuery>;

/** A calendar date, `YYYY-MM-DD` (UTC), that exists: 2026-02-30 is refused, not rolled over. */
export const CalendarDate = /* @__PURE__ */ lazySchema(() =>
  z.string().check(
    z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD'),
    z.refine((s) => {
      const ms = Date.parse(`${s}T00:00:00.000Z`);
      return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === s;
    }, 'must be a real calendar date, YYYY-MM-DD'),
  ),
);

/** GET .../metrics. The window's defaults and its cross-field rules live in the use case. */
export const MetricsQuery = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    from: z.optional(CalendarDate),
    to: z.optional(CalendarDate),
    interval: z._default(z.enum(INTERVALS, { error: `must be one of ${INTERVALS.join(', ')}` }), 'week'),
  }),
);
export type MetricsQuery = z.infer<typeof MetricsQuery>;

export const OptionalEnvironmentQuery = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: z.optional(Environment),
  }),
);

/** For routes that take no query parameters: any is refused, like an unknown body member. */
export const NoQuery = /* @__PURE__ */ lazySchema(() => z.strictObject({}));

export const TagPath = /* @__PURE__ */ lazySchema(() => z.strictObject({ imageTag: ImageTag }));
export const IdPath = /* @__PURE__ */ lazySchema(() => z.strictObject({ id: DeploymentId }));
export const EnvironmentPath = /* @__PURE__ */ lazySchema(() => z.strictObject({ environment: Environment }));

/** The longest auto-rollback window: a deployment older than a week is not an alarm's suspect. */
export const MAX_WINDOW_MINUTES = 7 * 24 * 60;

/**
 * Which environment an alarm guards, and how recent a deployment must be to be blamed. One
 * definition for the function's ALARM_RULES and the CDK app's `autoRollback` setting, so a
 * rule the function would refuse fails at synth.
 */
export const AlarmRule = /* @__PURE__ */ lazySchema(() =>
  z.strictObject({
    environment: Environment,
    // `int()` as a check on a number, as classic zod's `.int()` is: non-numbers keep the
    // "expected number" message.
    windowMinutes: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_WINDOW_MINUTES)),
  }),
);
export type AlarmRule = z.infer<typeof AlarmRule>;

/** An alarm's name as CloudWatch allows it. */
export const AlarmName = /* @__PURE__ */ lazySchema(() => sized(1, 255));

/** `Idempotency-Key` header: printable ASCII, as the IETF draft's examples use. */
export const IdempotencyKey = /* @__PURE__ */ lazySchema(() =>
  z.string().check(z.regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 printable ASCII characters without spaces')),
);
