/**
 * The house rules of functions/ (DESIGN.md's layers), checked on the source: core is the
 * domain (no AWS SDK, no process.env, no adapter or lib module), lib imports no adapter, no
 * module imports itself back through others, and no object borrows methods through a
 * prototype.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

const files = readdirSync(FUNCTIONS, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(FUNCTIONS, f));
const source = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
const name = (file: string) => relative(ROOT, file);

/** Every module specifier a file imports or re-exports (type-only ones too: they tie modules as much). */
const specifiers = (file: string) =>
  ts.preProcessFile(source.get(file) ?? '', true, true).importedFiles.map((i) => i.fileName);

/** The files of functions/ a file imports. */
function localImports(file: string): string[] {
  return specifiers(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
    .filter((f) => source.has(f));
}

/** Each import circle once, as the files along it. */
function circles(): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of localImports(file)) {
      if (state.get(next) === 'open') {
        const circle = path.slice(path.indexOf(next)).map(name);
        found.set([...circle].sort().join(' '), circle);
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return [...found.values()];
}

const under = (folder: string) => files.filter((f) => f.startsWith(join(FUNCTIONS, folder)));

describe('the layers of functions/', () => {
  it('has no import circle', () => {
    expect(circles()).toEqual([]);
  });

  it('keeps core free of the AWS SDK, of process.env, and of adapters and lib', () => {
    const breaches = under('core').flatMap((file) => [
      ...specifiers(file)
        .filter((s) => s.startsWith('@aws-sdk/') || /\/(adapters|lib)\//.test(s) || s.startsWith('../lib/'))
        .map((s) => `${name(file)} imports ${s}`),
      ...(/\bprocess\.env\b/.test(source.get(file) ?? '') ? [`${name(file)} reads process.env`] : []),
    ]);
    expect(breaches).toEqual([]);
  });

  it('lets lib import no adapter', () => {
    const breaches = under('lib').flatMap((file) =>
      specifiers(file)
        .filter((s) => s.includes('/adapters/') || s.startsWith('../adapters'))
        .map((s) => `${name(file)} imports ${s}`),
    );
    expect(breaches).toEqual([]);
  });

  it('borrows no method through a prototype', () => {
    expect(files.filter((f) => /\.prototype\b/.test(source.get(f) ?? '')).map(name)).toEqual([]);
  });

  it('sees the files and imports it checks (a check that finds nothing proves nothing)', () => {
    expect(under('core').length).toBeGreaterThan(20);
    expect(localImports(join(FUNCTIONS, 'core/use-cases/start-run.ts'))).toContain(
      join(FUNCTIONS, 'core/rollback-target.ts'),
    );
  });
});
