/**
 * The console in local mode: `npm start` serves the page at `/` beside the API, so the page's
 * calls are same-origin and reach the handlers directly. These are local routes (like
 * `/_local/notifications`), not entries of the route table: the deployed API never serves them.
 * The page comes with the server's launch token as an HttpOnly SameSite=Strict cookie, which
 * its writes carry (web/loopback-guard.ts): no page elsewhere can read it or send it.
 */
import { CONSOLE_PATHS, type ConsoleConfig, consoleBuild } from '../../web/assets.js';
import type { LocalRoutes } from './server.js';

export interface LocalConsoleOptions {
  /** Local mode writes unsigned as `local`, so rolling back from the page is allowed unless turned off. */
  allowRollback?: boolean;
  /** How often the page refreshes its view. */
  pollMs?: number;
}

/** The page's files and its config, as local routes. */
export function consoleRoutes(apiUrl: () => string, options: LocalConsoleOptions = {}): LocalRoutes {
  const routes: LocalRoutes = {};
  for (const path of [CONSOLE_PATHS.page, CONSOLE_PATHS.script, CONSOLE_PATHS.style]) {
    routes[`GET ${path}`] = async ({ guard }) => {
      const file = (await consoleBuild()).get(path);
      return {
        statusCode: 200,
        headers: {
          'content-type': file?.contentType ?? 'text/plain',
          ...(path === CONSOLE_PATHS.page ? { 'set-cookie': guard.setCookie() } : {}),
        },
        body: file?.body ?? '',
      };
    };
  }
  routes[`GET ${CONSOLE_PATHS.config}`] = async () => {
    const config: ConsoleConfig = {
      allowRollback: options.allowRollback ?? true,
      mode: 'local',
      api: apiUrl(),
      pollMs: options.pollMs ?? 10_000,
    };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) };
  };
  return routes;
}
