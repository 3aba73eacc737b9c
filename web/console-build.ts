/**
 * The console built from its source: web/src → one minified ES module (esbuild), the style
 * sheet minified, the page as it is. web/assets.ts loads this on first use; the one-file
 * command carries the same build's output in this module's place (infra/cli-build.ts).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = dirname(fileURLToPath(import.meta.url));

export interface ConsoleFile {
  contentType: string;
  body: string;
}

/** The page's three files (web/assets.ts serves them at their paths). */
export interface ConsoleFiles {
  page: ConsoleFile;
  script: ConsoleFile;
  style: ConsoleFile;
}

/** Bundles and minifies the page. esbuild is loaded here only, so servers that never serve the page never load it. */
export async function buildConsole(): Promise<ConsoleFiles> {
  const esbuild = await import('esbuild');
  const [script, style, page] = await Promise.all([
    esbuild.build({
      entryPoints: [join(WEB, 'src', 'main.ts')],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(join(WEB, 'styles.css'), 'utf8').then((css) => esbuild.transform(css, { loader: 'css', minify: true })),
    readFile(join(WEB, 'index.html'), 'utf8'),
  ]);
  return {
    page: { contentType: 'text/html; charset=utf-8', body: page },
    script: { contentType: 'text/javascript; charset=utf-8', body: script.outputFiles[0]?.text ?? '' },
    style: { contentType: 'text/css; charset=utf-8', body: style.code },
  };
}
