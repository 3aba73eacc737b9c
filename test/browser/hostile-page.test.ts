/**
 * Local mode in a real browser beside a hostile page: a page of another origin (another port
 * of this very machine) tries what a page can send to 127.0.0.1 without asking, and nothing
 * changes; the page local mode serves rolls back as ever, with the cookie it was given.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { launchChromium } from '../../web/dev/chromium.js';

const BASE = '/api/v1/platform/deployments';

let stack: LocalStack;
let hostile: Server;
let hostileOrigin: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `hostile-${randomUUID().slice(0, 8)}`,
    console: { pollMs: 60_000 },
  });
  hostile = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>a page elsewhere</title><p>nothing to see</p>');
  });
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
  const address = hostile.address();
  hostileOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchChromium();
  page = await browser.newPage();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => hostile?.close(resolve));
  await stack?.stop();
});

async function deploy(environment: string, imageTag: string): Promise<{ id: string }> {
  const response = await fetch(`${stack.url}${BASE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ environment, imageTag }),
  });
  return (await response.json()) as { id: string };
}

const statusOf = async (id: string) =>
  ((await (await fetch(`${stack.url}${BASE}/${id}`)).json()) as { status: string }).status;

describe('a hostile page in the same browser', () => {
  it('cannot roll back through local mode (fetch without CORS, bodiless or text/plain, a form) nor read it', async () => {
    await deploy('hostile', 'v1.0.0');
    const current = await deploy('hostile', 'v2.0.0');
    await page.goto(hostileOrigin);
    const target = `${stack.url}${BASE}/tag/v2.0.0/rollback?environment=hostile`;
    const outcomes = await page.evaluate(
      async ({ target, read }) => {
        const attempt = (init: RequestInit) =>
          fetch(target, init).then(
            (r) => `answered (${r.type})`,
            () => 'refused by the browser',
          );
        return {
          bodiless: await attempt({ method: 'POST', mode: 'no-cors' }),
          textPlain: await attempt({ method: 'POST', mode: 'no-cors', body: '{"reason":"from a page"}' }),
          json: await attempt({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
          read: await fetch(read).then(
            (r) => r.text(),
            () => 'refused by the browser',
          ),
        };
      },
      { target, read: `${stack.url}${BASE}/environments` },
    );
    // The simple requests reach the server (opaque answers), which refuses them; the others
    // need CORS, which local mode never grants.
    expect(outcomes).toEqual({
      bodiless: 'answered (opaque)',
      textPlain: 'answered (opaque)',
      json: 'refused by the browser',
      read: 'refused by the browser',
    });
    // An HTML form posts top-level, with the page's Origin.
    await page.setContent(
      `<form method="post" enctype="text/plain" action="${target}"><input name="a" value="b"></form>`,
    );
    const [answer] = await Promise.all([
      page.waitForNavigation(),
      page.evaluate('document.querySelector("form").submit()'),
    ]);
    expect(answer?.status()).toBe(403);
    expect(await statusOf(current.id)).toBe('DEPLOYED');
  });
});

describe('the page local mode serves', () => {
  it('rolls back from its dialog, with the launch cookie it was given', async () => {
    await deploy('served', 'v1.0.0');
    const current = await deploy('served', 'v2.0.0');
    await page.goto(`${stack.url}/#/env/served/plan`);
    await page.waitForSelector('main[data-view="plan"][aria-busy="false"]');
    await page.click('[data-action="open-rollback"]');
    await page.fill('#rollback-reason', 'smoke tests fail on v2.0.0');
    await page.fill('#rollback-confirm', 'served');
    await page.press('#rollback-confirm', 'Enter');
    await page.waitForSelector('#rollback-dialog:not([open])', { state: 'attached' });
    for (let i = 0; i < 50 && (await statusOf(current.id)) !== 'ROLLED_BACK'; i++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(await statusOf(current.id)).toBe('ROLLED_BACK');
  });
});
