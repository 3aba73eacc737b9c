/**
 * A client nobody here wrote: openapi-typescript makes TypeScript types of docs/openapi.json, the
 * script in test/e2e/openapi-client/ walks the README's scenario with openapi-fetch over them,
 * tsc type-checks that folder (its own tsconfig.json: the generated file exists only after this
 * test wrote it), and the walk runs against local mode, every answer checked against the document.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { localApi } from '../support/http.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT = join(ROOT, 'test', 'e2e', 'openapi-client');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

let api: Awaited<ReturnType<typeof localApi>>;
beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => {
  await api?.stop();
});

describe('a client generated from docs/openapi.json (openapi-typescript + openapi-fetch)', () => {
  it('type-checks the README scenario, and what the document must refuse', { timeout: 120_000 }, async () => {
    const document = JSON.parse(readFileSync(join(ROOT, 'docs', 'openapi.json'), 'utf8'));
    const types = astToString(await openapiTS(document));
    mkdirSync(join(CLIENT, 'generated'), { recursive: true });
    writeFileSync(join(CLIENT, 'generated', 'api.d.ts'), types);
    // What the issue found a generator making of the old document, now read right.
    expect(types).toMatch(/status\?: "IN_PROGRESS" \| "DEPLOYED" \| "FAILED";/);
    expect(types).toMatch(/limit\?: number;/);
    const checked = await run(process.execPath, [TSC, '-p', join(CLIENT, 'tsconfig.json')], { cwd: ROOT }).catch(
      (error: { stdout: string; stderr: string }) => ({ stdout: error.stdout, stderr: error.stderr, failed: true }),
    );
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked).not.toHaveProperty('failed');
  });

  it('walks the README scenario against local mode', async () => {
    // Imported by path, not statically: the root type-check must not follow it into the generated file.
    const scenario = join(CLIENT, 'scenario.ts');
    const { walkReadme } = (await import(scenario)) as {
      walkReadme: (baseUrl: string) => Promise<{ history: Deployment[]; environments: string[] }>;
    };
    const { history, environments } = await walkReadme(api.url);
    expect(history.map((d) => [d.imageTag, d.status, d.rollbackOf !== null])).toEqual([
      ['v2.2.0-0a1b2c3', 'DEPLOYED', false],
      ['v2.0.0-def5678', 'DEPLOYED', true],
      ['v2.1.0-abc1234', 'ROLLED_BACK', false],
      ['v2.0.0-def5678', 'DEPLOYED', false],
    ]);
    expect(history[1]?.rollbackOf).toBe(history[2]?.id);
    expect(environments).toEqual(['prod']);
  });
});
