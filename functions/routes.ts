/**
 * THE route table. The CDK stack makes one Lambda function and one API Gateway route of
 * each entry; the local server serves the same entries. Neither keeps a list of its own,
 * so they cannot disagree.
 */

export const BASE_PATH = '/api/v1/platform/deployments';

/** What a route's function may do to the table; the stack grants exactly this. */
export type Access = 'read' | 'write';

export interface Route {
  /** PascalCase id, used for construct ids and log names. */
  id: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** API Gateway route path, with `{name}` parameters. */
  path: string;
  /** The handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  access: Access;
  summary: string;
  /** Signs history cursors: the stack gives this route's function, and no other, CURSOR_KEY. */
  cursorKey?: true;
}

const route = (
  id: string,
  method: Route['method'],
  suffix: string,
  file: string,
  access: Access,
  summary: string,
): Route => ({ id, method, path: `${BASE_PATH}${suffix}`, entry: `functions/http/${file}.ts`, access, summary });

export const ROUTES: readonly Route[] = [
  route('RecordDeployment', 'POST', '', 'record-deployment', 'write', 'record a deployment'),
  route('FinishDeployment', 'PATCH', '/{id}', 'finish-deployment', 'write', 'finish an IN_PROGRESS deployment'),
  {
    ...route('ListHistory', 'GET', '/history', 'list-history', 'read', "an environment's history, newest first"),
    cursorKey: true,
  },
  route('GetRollbackTarget', 'GET', '/rollback-target', 'get-rollback-target', 'read', 'what to roll back to'),
  route('GetDeploymentByTag', 'GET', '/tag/{imageTag}', 'get-deployment-by-tag', 'read', 'one record by image tag'),
  route('TagExists', 'GET', '/tag/{imageTag}/exists', 'tag-exists', 'read', 'does any record of this tag exist'),
  route(
    'RollbackDeployment',
    'POST',
    '/tag/{imageTag}/rollback',
    'rollback-deployment',
    'write',
    'mark it ROLLED_BACK',
  ),
  route('ListEnvironments', 'GET', '/environments', 'list-environments', 'read', 'what runs where'),
  route('GetMetrics', 'GET', '/metrics', 'get-metrics', 'read', "an environment's DORA metrics"),
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
