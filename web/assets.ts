import type { ConsoleFile } from './console-build.js';

/**
 * The console's three files, and the security headers both servers send with them: the local
 * API (`npm start`) and the `platform-rollback console` proxy. From the source tree, the files
 * are built in memory on first use (console-build.ts), so every start serves what the source
 * says now; the one-file command (dist/platform-rollback.mjs) carries them prebuilt instead
 * (infra/cli-build.ts puts that build in the place of console-build.ts), since an installed
 * copy has neither the source nor esbuild.
 */

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

/** The built page: request path → file. */
export type ConsoleBuild = ReadonlyMap<string, ConsoleFile>;

let built: Promise<ConsoleBuild> | undefined;

/** The build, made once per process on first use. */
export function consoleBuild(): Promise<ConsoleBuild> {
  built ??= import('./console-build.js')
    .then(({ buildConsole }) => buildConsole())
    .then(
      (files) =>
        new Map([
          [CONSOLE_PATHS.page, files.page],
          [CONSOLE_PATHS.script, files.script],
          [CONSOLE_PATHS.style, files.style],
        ]),
    )
    .catch((error) => {
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
