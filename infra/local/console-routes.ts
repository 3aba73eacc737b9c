/**
 * The console in local mode: `npm start` serves the page at `/` beside the API, so the page's
 * calls are same-origin and reach the handlers directly. These are local routes (like
 * `/_local/notifications`), not entries of the route table: the deployed API never serves them.
 */
import { CONSOLE_PATHS, type ConsoleConfig, consoleBuild, SECURITY_HEADERS } from '../../web/assets.js';
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
    routes[`GET ${path}`] = async () => {
      const file = (await consoleBuild()).get(path);
      return {
        statusCode: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': file?.contentType ?? 'text/plain' },
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
    return {
      statusCode: 200,
      headers: { ...SECURITY_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify(config),
    };
  };
  return routes;
}
