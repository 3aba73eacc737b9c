/**
 * Stack traces of a deployed function point at TypeScript lines without
 * NODE_OPTIONS=--enable-source-maps: a bundle built exactly as the stack builds it
 * (infra/bundling.ts, with its .map next to it) runs in a plain node process, and an error's
 * stack is mapped when it is logged.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { mapStack } from '../../functions/lib/source-map.js';
import { esbuildOptions } from '../../infra/bundling.js';

/** The 1-based line of the first occurrence of `text` in a repository file. */
const lineOf = (file: string, text: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text)) + 1;

describe('source-mapped stacks, paid for on error only', () => {
  it('maps a minified bundle frame to the TypeScript file and line that threw; unmapped before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-map-'));
    const outfile = join(dir, 'index.mjs');
    await build({
      stdin: {
        contents: [
          "import { readConfig } from './functions/lib/config.ts';",
          "import { withSourceStack } from './functions/lib/source-map.ts';",
          'export function run() {',
          '  try { readConfig({}); } catch (error) {',
          '    const raw = error.stack;',
          '    return { raw, mapped: withSourceStack(error).stack };',
          '  }',
          '}',
        ].join('\n'),
        resolveDir: process.cwd(),
        loader: 'ts',
        sourcefile: 'entry.ts',
      },
      ...esbuildOptions(),
      absWorkingDir: process.cwd(),
      outdir: dir,
    });
    // A plain node process, as deployed now: no --enable-source-maps.
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { run } = await import(${JSON.stringify(outfile)}); process.stdout.write(JSON.stringify(run()));`,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH } },
    );
    const { raw, mapped } = JSON.parse(out) as { raw: string; mapped: string };
    const thrownAt = lineOf('functions/lib/config.ts', "throw new ConfigError('TABLE_NAME is required");
    expect(thrownAt).toBeGreaterThan(0);
    expect(raw).toMatch(/index\.mjs:\d+:\d+/);
    expect(raw).not.toContain('config.ts');
    expect(mapped.split('\n')[1]).toMatch(new RegExp(`\\(functions/lib/config\\.ts:${thrownAt}:\\d+\\)$`));
    expect(mapped).not.toContain('index.mjs');
  });

  it('leaves frames without a map (or already mapped) as they are', () => {
    const stack = 'Error: x\n    at f (/no/such/dir/app.mjs:1:10)\n    at g (functions/lib/http.ts:12:3)';
    expect(mapStack(stack)).toBe(stack);
  });
});
