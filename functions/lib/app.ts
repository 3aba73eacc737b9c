/**
 * What a function is built with: its configuration, read once, and the ports its use cases
 * take. The adapters build one per kind of function (functions/adapters/aws.ts, runs.ts); the
 * handler wrapper (http-handler.ts) takes whichever a route chooses, and so needs only this type.
 */
import type { Config } from './config.js';

export interface App<P> {
  config: Config;
  ports: P;
}
