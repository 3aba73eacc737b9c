import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, so the bench runs the same from any working directory. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Build products and scratch files (git-ignored). */
export const OUT = join(ROOT, 'bench', 'out');
