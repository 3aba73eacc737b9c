/**
 * THE route table. The CDK stack makes one Lambda function and one API Gateway route of
 * each entry; the local server serves the same entries. Neither keeps a list of its own,
 * so they cannot disagree.
 */

import type { Action } from './core/access-policy.js';
import type { TABLE_ACCESS } from './table-access.js';

export const BASE_PATH = '/api/v1/platform/deployments';

export interface Route {
  /** PascalCase id, used for construct ids and log names. */
  id: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** API Gateway route path, with `{name}` parameters. */
  path: string;
  /** The handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  /**
   * What its function may do to the table: its entry in TABLE_ACCESS (actions and item kinds,
   * see table-access.ts), which the stack grants exactly. A name rather than the grants, so the
   * handlers, which bundle this table, do not bundle the grants.
   */
  table: keyof typeof TABLE_ACCESS;
  summary: string;
  /**
   * The access-policy action its use case checks (core/access-policy.ts `authorize`): who may
   * call it. docs/ACCESS.md's table is this column, held to it by test/unit/docs-tables.test.ts.
   */
  access: Action;
  /**
   * Throttled apart from the reads (API stage route settings, numbers in the CDK settings):
   * `write` for routes that record, `rollback` for routes that roll back. Absent: the stage default.
   */
  throttle?: 'write' | 'rollback';
  /** Signs history cursors: the stack gives this route's function, and no other, CURSOR_KEY. */
  cursorKey?: true;
  /** Starts rollback runs: the stack gives it REDEPLOY_TARGETS and the right to invoke the run workflow. */
  startsRuns?: true;
  /** Reads the redeploy targets (REDEPLOY_TARGETS) without starting runs. */
  readsTargets?: true;
  /** Marks records ROLLED_BACK, and so holds environments: the stack gives it HOLD_AFTER_ROLLBACK. */
  rollsBack?: true;
  /**
   * Runs the readiness checks: the stack gives it REDEPLOY_TARGETS and the read-only calls on
   * exactly the resources the targets name (ECR, ECS, CodePipeline, CloudWatch alarms).
   */
  checksReadiness?: true;
}

const route = (
  id: string,
  method: Route['method'],
  suffix: string,
  file: string,
  table: Route['table'],
  summary: string,
  access: Action,
): Route => ({ id, method, path: `${BASE_PATH}${suffix}`, entry: `functions/http/${file}.ts`, table, summary, access });

export const ROUTES: readonly Route[] = [
  {
    ...route('RecordDeployment', 'POST', '', 'record-deployment', 'recordDeployment', 'record a deployment', 'record'),
    throttle: 'write',
  },
  {
    ...route(
      'FinishDeployment',
      'PATCH',
      '/{id}',
      'finish-deployment',
      'finishDeployment',
      'finish an IN_PROGRESS deployment',
      'record',
    ),
    throttle: 'write',
  },
  {
    ...route(
      'ListHistory',
      'GET',
      '/history',
      'list-history',
      'listHistory',
      "an environment's history, newest first",
      'read',
    ),
    cursorKey: true,
  },
  route(
    'GetRollbackTarget',
    'GET',
    '/rollback-target',
    'get-rollback-target',
    'readTags',
    'what to roll back to',
    'read',
  ),
  route(
    'GetDeploymentByTag',
    'GET',
    '/tag/{imageTag}',
    'get-deployment-by-tag',
    'readTags',
    'one record by image tag',
    'read',
  ),
  route(
    'TagExists',
    'GET',
    '/tag/{imageTag}/exists',
    'tag-exists',
    'readTags',
    'does any record of this tag exist',
    'read',
  ),
  {
    ...route(
      'RollbackDeployment',
      'POST',
      '/tag/{imageTag}/rollback',
      'rollback-deployment',
      'rollback',
      'mark it ROLLED_BACK',
      'rollback',
    ),
    throttle: 'rollback',
    rollsBack: true,
  },
  {
    ...route(
      'ListEnvironments',
      'GET',
      '/environments',
      'list-environments',
      'listEnvironments',
      'what runs where',
      'read',
    ),
    readsTargets: true,
  },
  {
    ...route(
      'GetReadiness',
      'GET',
      '/environments/{environment}/readiness',
      'get-readiness',
      'readReadiness',
      'would a rollback work right now',
      'read',
    ),
    checksReadiness: true,
  },
  {
    ...route(
      'GetEnvironment',
      'GET',
      '/environments/{environment}',
      'get-environment',
      'getEnvironment',
      "one environment's item",
      'read',
    ),
    readsTargets: true,
  },
  {
    ...route(
      'HoldEnvironment',
      'POST',
      '/environments/{environment}/hold',
      'hold-environment',
      'holds',
      'hold an environment (a deploy freeze)',
      'rollback',
    ),
    throttle: 'rollback',
    readsTargets: true,
  },
  {
    ...route(
      'ReleaseEnvironment',
      'POST',
      '/environments/{environment}/release',
      'release-environment',
      'holds',
      "release an environment's hold",
      'rollback',
    ),
    throttle: 'rollback',
    readsTargets: true,
  },
  route(
    'CheckGate',
    'GET',
    '/environments/{environment}/gate',
    'check-gate',
    'gate',
    'may this version go to that environment now',
    'read',
  ),
  route('GetMetrics', 'GET', '/metrics', 'get-metrics', 'listHistory', "an environment's DORA metrics", 'read'),
  {
    ...route(
      'StartRollbackRun',
      'POST',
      '/rollbacks',
      'start-rollback-run',
      'startRun',
      'start a rollback run',
      'rollback',
    ),
    throttle: 'rollback',
    startsRuns: true,
  },
  {
    ...route(
      'ListRollbackRuns',
      'GET',
      '/rollbacks',
      'list-rollback-runs',
      'listRuns',
      "an environment's runs, newest first",
      'read',
    ),
    cursorKey: true,
  },
  route('GetRollbackRun', 'GET', '/rollbacks/{id}', 'get-rollback-run', 'getRun', 'one run, with its steps', 'read'),
  route('GetDeployment', 'GET', '/{id}', 'get-deployment', 'getDeployment', 'one deployment record by id', 'read'),
];

/**
 * Answers every request no route matched (API Gateway's `$default` route, and the local
 * server's misses) with the contract's 404 or 405 as problem+json.
 */
export const FALLBACK: Pick<Route, 'id' | 'entry'> = {
  id: 'Fallback',
  entry: 'functions/http/fallback.ts',
};

export type Match =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const actual = got[i] ?? '';
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) {
      if (actual === '') return undefined;
      try {
        params[name] = decodeURIComponent(actual);
      } catch {
        params[name] = actual;
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

/** Static segments win over parameters, as in API Gateway. */
const specificity = (r: Route) => r.path.split('/').filter((p) => !p.startsWith('{')).length;

/**
 * Finds the route for a request. API Gateway picks the most specific path that has a route for
 * the method; the handlers (through httpHandler) and the local server both check with this, so
 * a request API Gateway hands to a less specific route still gets the contract's 405.
 */
export function matchRoute(method: string, path: string): Match {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const candidates = ROUTES.map((route) => ({ route, params: matchPath(route.path, trimmed) }))
    .filter((c): c is { route: Route; params: Record<string, string> } => c.params !== undefined)
    .sort((a, b) => specificity(b.route) - specificity(a.route));
  const best = candidates[0];
  if (!best) return { kind: 'not-found' };
  // Only the most specific path pattern that matched counts: PATCH /history is a 405 with
  // Allow: GET, not a PATCH /{id} with the id "history".
  const group = candidates.filter((c) => specificity(c.route) === specificity(best.route));
  const hit = group.find((c) => c.route.method === method.toUpperCase());
  if (hit) return { kind: 'route', ...hit };
  return { kind: 'method-not-allowed', allow: [...new Set(group.map((c) => c.route.method))].sort() };
}
