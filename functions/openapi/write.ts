/**
 * `npm run openapi`: writes the OpenAPI document (document.ts) to docs/openapi.json. Run it
 * after changing a route, a schema or spec.ts, and commit the file; test/unit/openapi.test.ts
 * fails while the committed file differs from what the code describes. No handler imports
 * this module.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApi } from './document.js';

/** Where the committed document lives, from the repository root. */
const OPENAPI_FILE = 'docs/openapi.json';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
writeFileSync(join(root, OPENAPI_FILE), `${JSON.stringify(buildOpenApi(), null, 2)}\n`);
console.log(`wrote ${OPENAPI_FILE}`);
