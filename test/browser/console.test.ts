/**
 * The console in a real browser (Debian's Chromium through playwright-core) against local mode
 * seeded with the README's scenario, and through the `platform-rollback console` proxy for the
 * rollback itself. axe checks every view against WCAG 2.1 AA.
 */
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ConsoleProxy, startConsoleProxy } from '../../cli/console/proxy.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { launchChromium } from '../../web/dev/chromium.js';
import { recordScenario, type Scenario } from '../../web/dev/scenario.js';

/** The page's globals these predicates read (they run in the browser; the tests' tsconfig has no DOM lib). */
type PageGlobals = {
  location: { hash: string };
  document: {
    querySelectorAll(selector: string): { length: number };
    querySelector(selector: string): { textContent: string | null } | null;
  };
};

const BASE = '/api/v1/platform/deployments';

let stack: LocalStack;
let proxy: ConsoleProxy;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let scenario: Scenario;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `browser-${randomUUID().slice(0, 8)}`,
    console: { pollMs: 60_000 },
  });
  scenario = await recordScenario(stack.url, { extra: true });
  proxy = await startConsoleProxy({
    apiUrl: stack.url,
    port: 0,
    allowRollback: true,
    // Local mode ignores the signature; the proxy signs as it would for the deployed API.
    sign: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } },
    pollMs: 60_000,
  });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  await stack?.stop();
});

/** Opens a view of the local-mode console and waits until it has rendered. */
async function open(hash: string, view: string, base = stack.url): Promise<void> {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector(`main[data-view="${view}"][aria-busy="false"]`);
}

async function axe(): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('the console, against local mode with the README scenario', () => {
  it('Now: what runs where', async () => {
    await open('#/', 'now');
    {
      const prod = page.locator('table.now tbody tr', { has: page.locator('th', { hasText: /^prod$/ }) });
      await expect(prod.locator('td').nth(0).textContent()).resolves.toBe('v2.0.0');
      await expect(prod.locator('td').nth(1).textContent()).resolves.toBe('v2.0.0-def5678');
      await expect(prod.locator('a[href^="#/deployment/"]').getAttribute('href')).resolves.toBe(
        `#/deployment/${scenario.redeploy.id}`,
      );
      await expect(prod.locator('.tag-note').textContent()).resolves.toBe('a rollback');
      await expect(page.locator('table.now tbody tr').count()).resolves.toBe(3);
    }
    expect(await axe()).toEqual([]);
  });

  it('Timeline: newest first, the rollback linked both ways to the deployment it undid and the redeploy', async () => {
    await open('#/env/prod', 'timeline');
    const rows = page.locator('table.timeline tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')))).toEqual([
      scenario.redeploy.id,
      scenario.bad.id,
      scenario.good.id,
    ]);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual([
      'DEPLOYED',
      'ROLLED_BACK',
      'DEPLOYED',
    ]);
    const badRow = page.locator(`tr[data-id="${scenario.bad.id}"]`);
    await expect(badRow.locator('.replaced-by a').getAttribute('href')).resolves.toBe(
      `#/deployment/${scenario.redeploy.id}`,
    );
    await expect(badRow.locator('.rolled-back').textContent()).resolves.toContain('5xx rate above 2%');
    await expect(badRow.locator('.rolled-back').textContent()).resolves.toContain('local');
    const redeployRow = page.locator(`tr[data-id="${scenario.redeploy.id}"]`);
    await expect(redeployRow.locator('.undoes a').getAttribute('href')).resolves.toBe(
      `#/deployment/${scenario.bad.id}`,
    );
    // The strip draws one arc: from the redeploy back to what it undid.
    await expect(page.locator('figure.strip path.arc').count()).resolves.toBe(1);
    expect(await axe()).toEqual([]);

    // The status filter goes through the history route's own filter.
    await page.selectOption('#status-filter', 'ROLLED_BACK');
    await page.click('form.filter button[type="submit"]');
    // Predicates as functions, not strings: a string is eval'd in the page, which the console's
    // CSP (no 'unsafe-eval') refuses whenever Playwright has to poll.
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).location.hash === '#/env/prod?status=ROLLED_BACK',
    );
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.querySelectorAll('table.timeline tbody tr').length === 1,
    );
    await expect(page.locator('table.timeline tbody tr').getAttribute('data-id')).resolves.toBe(scenario.bad.id);
  });

  it('Deployment: every field, the pipeline run link, and what replaced it', async () => {
    await open('#/env/prod', 'timeline');
    await page.click(`tr[data-id="${scenario.bad.id}"] th a`);
    await page.waitForSelector('main[data-view="deployment"][aria-busy="false"]');
    const text = (await page.locator('main').textContent()) ?? '';
    for (const value of [scenario.bad.id, 'v2.1.0-abc1234', 'abc1234', 'Adds the invoices view', '5xx rate above 2%']) {
      expect(text).toContain(value);
    }
    await expect(page.locator('a[href="https://ci.example.com/runs/42"]').count()).resolves.toBe(1);
    await expect(page.locator('table.migrations tbody tr').textContent()).resolves.toContain('0042_add_invoice_index');
    await expect(page.locator('dl.fields a', { hasText: 'the redeploy of' }).getAttribute('href')).resolves.toBe(
      `#/deployment/${scenario.redeploy.id}`,
    );
    expect(await axe()).toEqual([]);
  });

  it('Deployment: irreversible migrations stand out', async () => {
    await open('#/env/qa', 'timeline');
    await page.click(`tr[data-id="${scenario.qa?.id}"] th a`);
    await page.waitForSelector('main[data-view="deployment"][aria-busy="false"]');
    await expect(page.locator('tr.irreversible').textContent()).resolves.toContain('0050_drop_legacy_table');
    await expect(page.locator('tr.irreversible').textContent()).resolves.toContain('irreversible');
    await expect(page.locator('p.warning').textContent()).resolves.toContain('1 irreversible migration');
    expect(await axe()).toEqual([]);
  });

  it('Rollback plan: the target, the checks and what it undoes; prod has nothing left to roll back to', async () => {
    await open('#/env/staging/plan', 'plan');
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('v1.1.0-bbb2222');
    expect(text).toContain('v1.0.0-aaa1111');
    await expect(page.locator('table.undone tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('table.checks .check-fail').count()).resolves.toBe(0);
    await expect(page.locator('[data-action="open-rollback"]').isEnabled()).resolves.toBe(true);
    expect(await axe()).toEqual([]);

    await open('#/env/prod/plan', 'plan');
    await expect(page.locator('.nothing').textContent()).resolves.toContain('Nothing to roll back to');
  });

  it('Metrics: the five figures with their counts, and the weekly trend', async () => {
    await open('#/env/prod/metrics', 'metrics');
    await expect(page.locator('.figure').count()).resolves.toBe(5);
    // prod: 3 live deployments; v2.1.0 was rolled back (and undone by the redeploy): 1 of 3 failed, 1 of 3 rework.
    await expect(page.locator('#fig-frequency + .big').textContent()).resolves.toBe('3');
    await expect(page.locator('section', { has: page.locator('#fig-cfr') }).textContent()).resolves.toContain(
      '1 of 3 live deployments',
    );
    await expect(page.locator('section', { has: page.locator('#fig-rework') }).textContent()).resolves.toContain(
      '1 of 3 live deployments',
    );
    await expect(page.locator('table.series tbody tr').count()).resolves.toBeGreaterThan(0);
    expect(await axe()).toEqual([]);
  });
});

describe('the console through the proxy', () => {
  it('a read-only page shows no rollback button', async () => {
    const readOnly = await startConsoleProxy({ apiUrl: stack.url, port: 0, allowRollback: false, sign: false });
    try {
      await page.goto(readOnly.loginUrl);
      await page.goto(`${readOnly.origin}/#/env/staging/plan`);
      await page.waitForSelector('main[data-view="plan"][aria-busy="false"]');
      await expect(page.locator('[data-action="open-rollback"]').count()).resolves.toBe(0);
      await expect(page.locator('.readonly').count()).resolves.toBe(1);
    } finally {
      await readOnly.close();
    }
  });

  it('rolls back with the keyboard alone: a reason and the typed name, really, against local mode', async () => {
    await page.goto(proxy.loginUrl);
    // The token became a cookie and left the address bar.
    expect(page.url()).toBe(`${proxy.origin}/`);
    await page.goto(`${proxy.origin}/#/env/staging/plan`);
    await page.waitForSelector('main[data-view="plan"][aria-busy="false"]');

    // Tab to the button, as a keyboard user would.
    let onButton = false;
    for (let i = 0; i < 60 && !onButton; i++) {
      await page.keyboard.press('Tab');
      onButton = await page.evaluate("document.activeElement?.getAttribute('data-action') === 'open-rollback'");
    }
    expect(onButton).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rollback-dialog[open]');
    expect(await page.evaluate('document.activeElement?.id')).toBe('rollback-reason');
    expect(await axe()).toEqual([]);

    // A wrong name is refused and changes nothing.
    await page.keyboard.type('smoke tests fail on v1.1.0');
    await page.keyboard.press('Tab');
    await page.keyboard.type('stagin');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rollback-error:not([hidden])');
    expect(await page.evaluate('document.activeElement?.id')).toBe('rollback-confirm');
    const before = await fetch(`${stack.url}${BASE}/tag/v1.1.0-bbb2222?environment=staging`);
    expect(((await before.json()) as { status: string }).status).toBe('DEPLOYED');

    await page.keyboard.type('g');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rollback-dialog:not([open])', { state: 'attached' });
    await page.waitForFunction(() =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('[data-role=status]')
        ?.textContent?.includes('rolled back in staging'),
    );
    const after = (await (await fetch(`${stack.url}${BASE}/tag/v1.1.0-bbb2222?environment=staging`)).json()) as {
      status: string;
      rollbackReason: string;
      rolledBackBy: string;
    };
    expect(after).toMatchObject({
      status: 'ROLLED_BACK',
      rollbackReason: 'smoke tests fail on v1.1.0',
      rolledBackBy: 'local',
    });
    // The plan now says the current deployment is already rolled back.
    await page.waitForSelector('table.checks .check-fail');
  });
});
