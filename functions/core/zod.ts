/**
 * The one way the service imports zod: its tree-shakeable build, `zod/mini`, with English
 * messages. Classic `zod` put ~440 KB (every locale) into each Lambda bundle and ~40 ms into
 * each cold start; mini costs a fraction of that, but it registers no locale, so without the
 * `config` below every built-in message would read "Invalid input" instead of the wording
 * classic zod gave and the API returns (e.g. "Too big: expected string to have <=4096
 * characters").
 *
 * Import it as a namespace, `import * as z from './zod.js'`, and re-export with `export *`:
 * esbuild drops the unused parts of zod only then. `import { z } from 'zod/mini'`, or a
 * re-exported `z` object, pulls in all of zod (~420 KB) again.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
