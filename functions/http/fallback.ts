import type { HttpEvent, HttpResult } from '../lib/http.js';
import { routeMiss } from '../lib/http.js';

/**
 * API Gateway's `$default` route: every request no route took. Answers 405 with `Allow` for
 * a known path asked with the wrong method, 404 otherwise, both as problem+json. It touches
 * no table, so it needs no ports.
 */
export const handler = async (event: HttpEvent): Promise<HttpResult> =>
  routeMiss(event, { always: true }) as HttpResult;
