/**
 * The per-route half of the API description, keyed by the route table's ids: for each route,
 * the zod schemas its handler parses (path, query, body, headers) and every status it can
 * answer with. document.ts joins this with ROUTES into the OpenAPI document. A route in
 * ROUTES without an entry here fails `npm test` (test/unit/openapi.test.ts) and `npm run
 * openapi`.
 *
 * Kept out of routes.ts on purpose: every handler imports the route table, and none may pull
 * in the response schemas or the JSON Schema generator.
 *
 * To describe a new route: add `MyRouteId: { ... }` below with the schemas its handler passes
 * to parsePath / parseQuery / parseBody / parseHeader, its success response, `problems(...)`
 * with every 4xx of its own, and `denies: true` where its use case calls `authorize` (the access
 * policy's 403). Every route is also given API Gateway's 403 and 429, the 405 with `Allow`, the
 * 503 with `Retry-After` and the 500 (document.ts); then run `npm run openapi` and commit
 * docs/openapi.json.
 */

import { FINISHED_STATUSES, INITIAL_STATUSES } from '../core/deployment.js';
import {
  EnvironmentPath,
  FinishDeploymentInput,
  GateQuery,
  HistoryQuery,
  HoldInput,
  IdempotencyKey,
  IdPath,
  MetricsQuery,
  NoQuery,
  OptionalEnvironmentQuery,
  RecordDeploymentInput,
  RollbackInput,
  RollbackTargetQuery,
  RunsQuery,
  StartRunInput,
  TagPath,
} from '../core/schemas.js';
import * as z from '../core/zod.js';
import {
  DeploymentRecord,
  EnvironmentRow,
  EnvironmentsAnswer,
  GateAnswer,
  HistoryPage,
  MetricsAnswer,
  ReadinessAnswer,
  RollbackRun,
  RollbackTarget,
  RunsPage,
  TagExistsAnswer,
} from './responses.js';

/**
 * An id in the path of a route that answers 404 for a malformed id as for an unknown one (the
 * contract's GET .../{id} and GET .../rollbacks/{id}): any text reaches the handler.
 */
const AnyIdPath = z.strictObject({ id: z.string() });

/** A response header the operation sets. */
export interface HeaderSpec {
  description: string;
  required?: true;
}

export interface ResponseSpec {
  description: string;
  /** The JSON body (application/json); a problem response uses `problem` instead. */
  body?: z.ZodMiniType;
  /** An application/problem+json body (the Problem schema). */
  problem?: true;
  headers?: Record<string, HeaderSpec>;
}

/** A parameter's JSON Schema as a client sends it (the handler's zod schema parses text into it). */
export interface ParameterSchema {
  type: 'integer';
  minimum: number;
  maximum: number;
  default: number;
}

/** A page size (`limit`): what the handler's QueryInt(1, 100, 20) accepts, as a client sends it. */
const LIMIT: ParameterSchema = { type: 'integer', minimum: 1, maximum: 100, default: 20 };

export interface OperationSpec {
  /** A longer explanation than the route table's summary (CommonMark). */
  description: string;
  path?: z.ZodMiniObject;
  query: z.ZodMiniObject;
  /** What a parameter's schema cannot say, by name. */
  notes?: Record<string, string>;
  /**
   * Query parameters whose schema, as a client sends them, is not the handler's (which parses
   * text): `limit` is an integer from 1 to 100, not a string of digits.
   */
  params?: Record<string, ParameterSchema>;
  /**
   * The body; `accepts` narrows a member's enum to the values the route accepts, where the
   * handler's schema takes more so that it can answer them with a 409 (a transition rule)
   * rather than a 400: a client generated from the document offers only the accepted ones.
   */
  body?: { schema: z.ZodMiniType; required: boolean; accepts?: Record<string, readonly string[]> };
  /** Its use case checks the access policy (`authorize`): the service's own 403 problem. */
  denies?: true;
  /** Request headers the handler reads, with their schema. */
  headers?: Record<string, { schema: z.ZodMiniType; description: string }>;
  responses: Record<number, ResponseSpec>;
}

/** What each problem status means, worded for every route that can give it. */
const PROBLEM_MEANING: Record<number, string> = {
  400: 'Invalid input: a bad field, query parameter, path parameter, header, or body (`errors` names each).',
  404: 'No such record, or nothing to answer with.',
  409: 'Conflict (see the operation description; `currentStatus` or `environments` say more).',
  413: 'The body is over 64 KiB.',
  415: 'The body is not JSON (`content-type` must be application/json).',
};

/** The problem+json responses for these statuses, with the operation's own wording where given. */
export function problems(...statuses: (number | [number, string])[]): Record<number, ResponseSpec> {
  return Object.fromEntries(
    statuses.map((entry) => {
      const [status, description] = Array.isArray(entry) ? entry : [entry, PROBLEM_MEANING[entry] ?? 'A problem.'];
      return [status, { description, problem: true as const }];
    }),
  );
}

const IDEMPOTENCY_HEADER = {
  'Idempotency-Key': {
    schema: IdempotencyKey,
    description:
      'Makes a retry safe for 24 hours: the same key with the same body returns the first response again and ' +
      'creates nothing; the same key with another body is a 409.',
  },
};

export const OPERATIONS: Record<string, OperationSpec> = {
  RecordDeployment: {
    description:
      'Records a deployment. `status` may be `IN_PROGRESS`, `DEPLOYED` (default) or `FAILED`; `ROLLED_BACK` ' +
      'is a 409. `deployedBy` is the authenticated caller, never taken from the body. The guards: an ' +
      '`IN_PROGRESS` start without `rollbackOf` into a held environment is a 409 `environment-held` (the ' +
      'problem carries `hold`), and of a known-bad tag (a `ROLLED_BACK` record of it there newer than its last ' +
      '`DEPLOYED` one) a 409 `known-bad-image-tag` (the problem carries that record as `deploymentId`); ' +
      'nothing is written. `override: { reason }` lets such a start through (stored as `override: { reason, by }`). ' +
      'After-the-fact `DEPLOYED`/`FAILED` records are accepted. Every record that went through a guard is ' +
      'published as `GUARD_BYPASSED`; a record with `rollbackOf` is never refused.',
    query: NoQuery,
    body: { schema: RecordDeploymentInput, required: true, accepts: { status: INITIAL_STATUSES } },
    denies: true,
    headers: IDEMPOTENCY_HEADER,
    responses: {
      201: {
        description: 'The new record (or, for a replayed Idempotency-Key, the first response again).',
        body: DeploymentRecord,
        headers: {
          Location: { description: 'The record: /api/v1/platform/deployments/{id}.', required: true },
          'Idempotent-Replayed': { description: '`true` when this answers a replayed Idempotency-Key.' },
        },
      },
      ...problems(
        400,
        [
          409,
          'A status a new record cannot start in, an Idempotency-Key reused with another body, a held ' +
            'environment (`environment-held`, `hold`) or a known-bad tag (`known-bad-image-tag`, `deploymentId`).',
        ],
        413,
        415,
      ),
    },
  },
  FinishDeployment: {
    description: 'Finishes an `IN_PROGRESS` deployment as `DEPLOYED` or `FAILED`.',
    path: IdPath,
    query: NoQuery,
    body: { schema: FinishDeploymentInput, required: true, accepts: { status: FINISHED_STATUSES } },
    denies: true,
    responses: {
      200: { description: 'The updated record.', body: DeploymentRecord },
      ...problems(
        400,
        [404, 'No deployment with this id.'],
        [409, 'The record is not `IN_PROGRESS`, or the status is not `DEPLOYED`/`FAILED` (`currentStatus`).'],
        413,
        415,
      ),
    },
  },
  ListHistory: {
    description:
      "An environment's records, newest `deployedAt` first (ties by `id`). `nextCursor` pages on; `null` " +
      'means the history ends here. Cursors are signed and bound to the environment and status filter.',
    query: HistoryQuery,
    denies: true,
    params: { limit: LIMIT },
    notes: {
      limit: 'How many records a page holds at most: a whole number from 1 to 100; default 20.',
      status: 'Only records in this status; a page still fills up to `limit` where enough exist.',
      cursor: 'The `nextCursor` of the previous page, with the same `environment` and `status`.',
    },
    responses: {
      200: { description: 'One page of the history.', body: HistoryPage },
      ...problems(400),
    },
  },
  GetRollbackTarget: {
    description:
      'The problematic record (`imageTag`, default: the most recent record) and the most recent older ' +
      '`DEPLOYED` record with another image tag that has not been rolled back since.',
    query: RollbackTargetQuery,
    denies: true,
    notes: { imageTag: 'The problematic deployment; default: the most recent record of the environment.' },
    responses: {
      200: { description: 'The current record and the target.', body: RollbackTarget },
      ...problems(400, [404, 'No record of the environment (or the tag there), or nothing to roll back to.']),
    },
  },
  GetDeploymentByTag: {
    description:
      "The most recent record of the tag: in `environment` where given; else in the tag's only " +
      'environment; a tag in several environments without `environment` is a 409 listing them.',
    path: TagPath,
    query: OptionalEnvironmentQuery,
    denies: true,
    responses: {
      200: { description: 'The record.', body: DeploymentRecord },
      ...problems(
        400,
        [404, 'No record of this tag (in this environment).'],
        [409, 'The tag is in several environments (`environments`).'],
      ),
    },
  },
  TagExists: {
    description:
      'Whether any record of the tag exists, and in which environments (only the one asked for, where given).',
    path: TagPath,
    query: OptionalEnvironmentQuery,
    denies: true,
    responses: {
      200: { description: 'Always 200 for a well-formed tag.', body: TagExistsAnswer },
      ...problems(400),
    },
  },
  RollbackDeployment: {
    description:
      'Marks the record the tag resolves to (as for GET .../tag/{imageTag}) `ROLLED_BACK`, with the caller, ' +
      'the time and the reason, and publishes `DEPLOYMENT_ROLLED_BACK`. Of concurrent calls for one record, ' +
      'exactly one gets 200. `environment` may come in the query or the body (both: they must agree).',
    path: TagPath,
    query: OptionalEnvironmentQuery,
    denies: true,
    body: { schema: RollbackInput, required: false },
    responses: {
      200: { description: 'The record, now `ROLLED_BACK`.', body: DeploymentRecord },
      ...problems(
        400,
        [404, 'No record of this tag (in this environment).'],
        [
          409,
          'The record is not `DEPLOYED` (`currentStatus`), or the tag is in several environments (`environments`).',
        ],
        413,
        415,
      ),
    },
  },
  ListEnvironments: {
    description:
      'What runs where: one row per environment that has a record, sorted by name, with its current (most ' +
      'recent) record, when it last changed, the kind of redeploy target configured and the RUNNING rollback ' +
      'run, if any, its `hold` and its stored `readiness` summary. Its cost follows the number of ' +
      'environments, not of records.',
    query: NoQuery,
    responses: {
      200: { description: 'Every environment.', body: EnvironmentsAnswer },
      ...problems(400),
    },
  },
  GetEnvironment: {
    description:
      "One environment's item, the same row as in GET .../environments: its current record, redeploy target " +
      'kind, RUNNING run, `hold` and stored `readiness` summary.',
    path: EnvironmentPath,
    query: NoQuery,
    responses: {
      200: { description: 'The environment item.', body: EnvironmentRow },
      ...problems(400, [404, 'No record in this environment.']),
    },
  },
  HoldEnvironment: {
    description:
      'Holds the environment by hand (a deploy freeze, `cause.kind` `manual`): forward `IN_PROGRESS` starts ' +
      'are refused until a release. Publishes `ENVIRONMENT_HELD`. Needs the `rollback` right there.',
    path: EnvironmentPath,
    query: NoQuery,
    body: { schema: HoldInput, required: true },
    responses: {
      200: { description: 'The environment item, now held.', body: EnvironmentRow },
      ...problems(
        400,
        [404, 'No record in this environment.'],
        [409, 'Already held (the problem carries `hold`).'],
        413,
        415,
      ),
    },
  },
  ReleaseEnvironment: {
    description:
      "Releases the environment's hold (automatic or manual), with a reason. Publishes `ENVIRONMENT_RELEASED` " +
      '(the released hold, the reason and who released it). Needs the `rollback` right there.',
    path: EnvironmentPath,
    query: NoQuery,
    body: { schema: HoldInput, required: true },
    responses: {
      200: { description: 'The environment item, `hold` null.', body: EnvironmentRow },
      ...problems(400, [404, 'No record in this environment.'], [409, 'The environment is not held.'], 413, 415),
    },
  },
  CheckGate: {
    description:
      'May `imageTag` go to the environment now? Not when it is held, nor when the tag is known bad there, ' +
      'nor, with `requireReady=true`, when its stored readiness summary is not ready or not yet checked. Each ' +
      'reason is listed. An environment with no records is allowed.',
    path: EnvironmentPath,
    query: GateQuery,
    notes: { requireReady: '`true` or `false` (default): whether readiness counts.' },
    responses: {
      200: { description: 'The answer, with its reasons.', body: GateAnswer },
      ...problems(400),
    },
  },
  GetReadiness: {
    description:
      "Would a rollback of the environment work right now? The rollback run's own safety checks (`target`, " +
      '`image`, `migrations`: the same code) plus `redeploy-target` (configured, and the ECS service or ' +
      'pipeline it acts on exists) and `verify` (the alarms a run would bake on exist), evaluated now. Each ' +
      'check is `PASSED`, `FAILED` or `SKIPPED` with why; a check that could not be made (an AWS API ' +
      'unavailable) is `SKIPPED`, never `FAILED`. `ready`: no check `FAILED`.',
    path: EnvironmentPath,
    query: NoQuery,
    responses: {
      200: { description: 'The checks.', body: ReadinessAnswer },
      ...problems(400, [404, 'No record of the environment.']),
    },
  },
  GetMetrics: {
    description:
      "An environment's DORA figures over a window of whole UTC days (`from`/`to` inclusive, default the " +
      'last 90 days, at most 366), in total and per `interval` (weeks start on Monday). Ratios carry their ' +
      'numerator, denominator and the ids they count; a figure with nothing to measure is `null`.',
    query: MetricsQuery,
    denies: true,
    notes: {
      from: 'First day of the window, YYYY-MM-DD (UTC); default 89 days before `to`.',
      to: 'Last day of the window, YYYY-MM-DD (UTC), inclusive; default today.',
      interval: '`day`, `week` (default), `month` or `all`.',
    },
    responses: {
      200: { description: 'The figures.', body: MetricsAnswer },
      ...problems(400),
    },
  },
  StartRollbackRun: {
    description:
      'Starts a rollback run of the environment: the service identifies the target (the rollback target rule, ' +
      'or `targetImageTag`), runs the safety checks, marks the current deployment `ROLLED_BACK`, redeploys the ' +
      "target through the environment's redeploy target, records the redeploy (`rollbackOf`) and verifies " +
      'health. At most one run is RUNNING per environment, and one failed deployment gets at most one run.',
    query: NoQuery,
    body: { schema: StartRunInput, required: true },
    denies: true,
    headers: IDEMPOTENCY_HEADER,
    responses: {
      202: {
        description: 'The run, RUNNING (or, for a replayed Idempotency-Key, the first answer again).',
        body: RollbackRun,
        headers: {
          Location: { description: 'The run: /api/v1/platform/deployments/rollbacks/{id}.', required: true },
          'Idempotent-Replayed': { description: '`true` when this answers a replayed Idempotency-Key.' },
        },
      },
      ...problems(
        400,
        [404, 'Nothing to roll back to (no record, or no earlier good version).'],
        [
          409,
          'A run is already RUNNING in the environment (`runId`), the deployment already had its run, the ' +
            'environment has no redeploy target configured, or an Idempotency-Key was reused with another body.',
        ],
        413,
        415,
      ),
    },
  },
  ListRollbackRuns: {
    description: "An environment's rollback runs, newest first, paged with a signed cursor as the history is.",
    query: RunsQuery,
    denies: true,
    params: { limit: LIMIT },
    notes: {
      limit: 'How many runs a page holds at most: a whole number from 1 to 100; default 20.',
      cursor: 'The `nextCursor` of the previous page, with the same `environment`.',
    },
    responses: {
      200: { description: 'One page of runs.', body: RunsPage },
      ...problems(400),
    },
  },
  GetRollbackRun: {
    description: 'One rollback run, with its six steps.',
    path: AnyIdPath,
    query: NoQuery,
    responses: {
      200: { description: 'The run.', body: RollbackRun },
      ...problems(400, [404, 'No run with this id (a malformed id included).']),
    },
  },
  GetDeployment: {
    description: 'One deployment record by its id.',
    path: AnyIdPath,
    query: NoQuery,
    responses: {
      200: { description: 'The record.', body: DeploymentRecord },
      ...problems(400, [404, 'No deployment with this id (a malformed id included).']),
    },
  },
};
