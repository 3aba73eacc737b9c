/**
 * Builds the console (web/src → one ES module, esbuild) and serves its three files with the
 * security headers both servers send: the local API (`npm start`) and the
 * `platform-rollback console` proxy. The build runs in memory on first use, so every start
 * serves what the source says now; there is no build output to go stale.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = dirname(fileURLToPath(import.meta.url));

/** The page's own files, by request path. */
export const CONSOLE_PATHS = {
  page: '/',
  script: '/_console/app.js',
  style: '/_console/app.css',
  config: '/_console/config',
};

/**
 * Only this origin's own script, style and API; no inline script, no framing, no form posts
 * elsewhere. The page needs nothing more, so a bug in it cannot reach anywhere else.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers every console response carries (files, config, and the proxied API answers). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export interface ConsoleFile {
  contentType: string;
  body: string;
}

/** The built page: request path → file. */
export type ConsoleBuild = ReadonlyMap<string, ConsoleFile>;

/** Bundles and minifies the page. esbuild is loaded here only, so servers that never serve the page never load it. */
export async function buildConsole(): Promise<ConsoleBuild> {
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
  return new Map([
    [CONSOLE_PATHS.page, { contentType: 'text/html; charset=utf-8', body: page }],
    [CONSOLE_PATHS.script, { contentType: 'text/javascript; charset=utf-8', body: script.outputFiles[0]?.text ?? '' }],
    [CONSOLE_PATHS.style, { contentType: 'text/css; charset=utf-8', body: style.code }],
  ]);
}

let built: Promise<ConsoleBuild> | undefined;

/** The build, made once per process on first use. */
export function consoleBuild(): Promise<ConsoleBuild> {
  built ??= buildConsole().catch((error) => {
    built = undefined;
    throw error;
  });
  return built;
}

/** What the page learns from GET /_console/config. */
export interface ConsoleConfig {
  allowRollback: boolean;
  mode: 'local' | 'proxy';
  api: string;
  pollMs: number;
}
