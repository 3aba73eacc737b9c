import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accessTable, grantsTable } from '../support/docs-tables.js';

/**
 * The two pages that say who and what may do what show exactly what the code grants: the
 * access table is the route table's `access` column (functions/routes.ts, whose use cases check
 * that action: test/integration/access-policy-handlers.test.ts), and the grants table is
 * functions/table-access.ts, which the stack grants one statement per grant
 * (test/infra/service.test.ts). A new route, action or grant fails here until the page says it.
 */
const page = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** The table as the page must hold it, in the failure message so that it can be pasted. */
function expectTable(name: string, table: string) {
  expect(page(name).includes(`${table}\n`), `docs/${name} must hold this table as it is:\n\n${table}\n`).toBe(true);
}

describe("the docs' tables are the code's", () => {
  it('docs/ACCESS.md: every route under the action its use case checks, and nothing else', () => {
    expectTable('ACCESS.md', accessTable());
  });

  it("docs/SECURITY.md: every function's table actions, item keys and indexes", () => {
    expectTable('SECURITY.md', grantsTable());
  });

  it('fails on a table that lacks a route or a grant', () => {
    const access = accessTable();
    const grants = grantsTable();
    expect(access).toContain('`GET .../deployments/rollbacks`');
    expect(grants).toMatch(/\| `ListRollbackRuns` \| `Query` → `RUNS#\*` \| none \|/);
    const stale = access.replace(', `GET .../deployments/rollbacks`', '');
    expect(stale).not.toBe(access);
    expect(page('ACCESS.md').includes(`${stale}\n`)).toBe(false);
  });
});
