import { ACTIONS } from '../../functions/core/access-policy.js';
import { BASE_PATH, ROUTES } from '../../functions/routes.js';
import { leadingKeys, TABLE_ACCESS, type TableAccess } from '../../functions/table-access.js';

/**
 * The tables docs/ACCESS.md and docs/SECURITY.md show, rendered from the code they describe:
 * the route table's `access` and each function's TABLE_ACCESS entry. test/unit/docs-tables.test.ts
 * holds the pages to them; a failure prints the table to paste.
 */

/** `POST .../deployments/tag/{imageTag}/rollback`: a route as the docs name it. */
const routeName = (method: string, path: string) => `\`${method} .../${path.slice(BASE_PATH.lastIndexOf('/') + 1)}\``;

/** docs/ACCESS.md: which routes each access-policy action covers. */
export function accessTable(): string {
  const rows = ACTIONS.map((action) => {
    const routes = ROUTES.filter((r) => r.access === action).map((r) => routeName(r.method, r.path));
    return `| \`${action}\` | ${routes.join(', ')} |`;
  });
  return ['| action | what it covers |', '| --- | --- |', ...rows].join('\n');
}

/**
 * The functions that are not routes, with their TABLE_ACCESS entry as their constructs bind it
 * (infra/constructs/: auto-rollback.ts, notifier.ts, sweeper.ts, rollback-runs.ts, readiness.ts); the
 * fallback gets no table at all. test/infra/service.test.ts checks that the page names exactly
 * the functions the stack has.
 */
export const OTHER_FUNCTIONS: readonly [string, keyof typeof TABLE_ACCESS | null][] = [
  ['Fallback', null],
  ['AutoRollback', 'autoRollback'],
  ['Notifier', 'notifier'],
  ['Sweeper', 'sweeper'],
  ['RollbackRuns', 'runWorkflow'],
  ['ReadinessRefresh', 'refreshReadiness'],
];

/** One function's grants as the page writes them: actions with the same keys together. */
function rights(access: TableAccess): { table: string; index: string } {
  const on = { table: new Map<string, Set<string>>(), index: new Map<string, Set<string>>() };
  for (const grant of access) {
    for (const action of grant.actions) {
      const where = grant.index ? on.index : on.table;
      const name = grant.index ? `\`${action}\` \`${grant.index}\`` : `\`${action}\``;
      const keys = where.get(name) ?? new Set<string>();
      for (const key of leadingKeys(grant)) keys.add(key);
      where.set(name, keys);
    }
  }
  const render = (rights: Map<string, Set<string>>, none: string) => {
    const byKeys = new Map<string, string[]>();
    for (const [name, keys] of [...rights].sort(([a], [b]) => a.localeCompare(b))) {
      const list = [...keys]
        .sort()
        .map((k) => `\`${k}\``)
        .join(', ');
      byKeys.set(list, [...(byKeys.get(list) ?? []), name]);
    }
    return byKeys.size === 0 ? none : [...byKeys].map(([keys, names]) => `${names.join(', ')} → ${keys}`).join('; ');
  };
  return { table: render(on.table, 'nothing'), index: render(on.index, 'none') };
}

/** docs/SECURITY.md: every function's table rights. */
export function grantsTable(): string {
  const functions: [string, TableAccess][] = [
    ...ROUTES.map((r): [string, TableAccess] => [r.id, TABLE_ACCESS[r.table]]),
    ...OTHER_FUNCTIONS.map(([id, entry]): [string, TableAccess] => [id, entry ? TABLE_ACCESS[entry] : []]),
  ];
  const rows = functions.map(([id, access]) => {
    const { table, index } = rights(access);
    return `| \`${id}\` | ${table} | ${index} |`;
  });
  return ['| function | table actions → item keys | index |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The function names of docs/SECURITY.md's grants table, as the page has them. */
export function grantsTableFunctions(page: string): string[] {
  const start = page.indexOf('| function | table actions → item keys | index |');
  if (start < 0) return [];
  return page
    .slice(start)
    .split('\n')
    .slice(2)
    .filter((line, i, lines) => line.startsWith('|') && lines.slice(0, i).every((l) => l.startsWith('|')))
    .map((line) => /^\| `(\w+)`/.exec(line)?.[1] ?? line);
}
