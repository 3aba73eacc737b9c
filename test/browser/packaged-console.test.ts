/**
 * The console of the one-file command, as an installed copy runs it: dist/platform-rollback.mjs
 * copied alone into an empty folder (no source tree, no node_modules), `console` started with
 * plain node against local mode, and the page driven in Chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { launchChromium } from '../../web/dev/chromium.js';
import { recordScenario, type Scenario } from '../../web/dev/scenario.js';

let stack: LocalStack;
let scenario: Scenario;
let browser: Browser;
let child: ChildProcess;
let output = '';

beforeAll(async () => {
  stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `packaged-${randomUUID().slice(0, 8)}`,
  });
  scenario = await recordScenario(stack.url);
  const dir = mkdtempSync(join(tmpdir(), 'installed-'));
  copyFileSync('dist/platform-rollback.mjs', join(dir, 'platform-rollback.mjs'));
  child = spawn(
    process.execPath,
    ['platform-rollback.mjs', 'console', '--api-url', stack.url, '--no-sign', '--no-browser', '--port', '0'],
    { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  browser = await launchChromium();
});
afterAll(async () => {
  child?.kill('SIGINT');
  await browser?.close();
  await stack?.stop();
});

async function loginUrl(): Promise<string> {
  for (let i = 0; i < 200 && !/Open: (\S+)/.test(output); i++) await new Promise((done) => setTimeout(done, 50));
  const url = /Open: (\S+)/.exec(output)?.[1];
  if (!url) throw new Error(`the console printed no URL:\n${output}`);
  return url;
}

describe('the packaged console (dist/platform-rollback.mjs alone)', () => {
  it('serves its page, script and style, and the page reads the API through it', async () => {
    const url = await loginUrl();
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(url);
    expect(page.url()).toBe(`${new URL(url).origin}/`);
    await page.waitForSelector('main[data-view="now"][aria-busy="false"]');
    const prod = page.locator('table.now tbody tr', { has: page.locator('th', { hasText: /^prod$/ }) });
    await expect(prod.locator('td').nth(1).textContent()).resolves.toBe('v2.0.0-def5678');
    await expect(prod.locator('a[href^="#/deployment/"]').getAttribute('href')).resolves.toBe(
      `#/deployment/${scenario.redeploy.id}`,
    );
    // The style sheet applied: the page is laid out by the carried CSS, not the browser's defaults.
    expect(await page.evaluate('getComputedStyle(document.body).margin')).toBe('0px');
    await expect(page.locator('[data-role="mode"]').textContent()).resolves.toMatch(/read-only/i);
    expect(failed).toEqual([]);
    await page.close();
  });
});
