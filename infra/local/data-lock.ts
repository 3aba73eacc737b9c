/**
 * One `npm start` per data folder. Two DynamoDB Local processes on one folder write the same
 * SQLite file under each other; the second start must fail instead, naming the first.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alive } from '../../cli/local-stack.js';

export const LOCK_FILE = '.platform-rollback.lock';

/** The folder is held by a live process. */
export class DataDirLockedError extends Error {}

interface Holder {
  pid: number;
  since: string;
}

/**
 * Takes the folder's lock for this process: a file created exclusively, holding our pid. A
 * lock left by a process that no longer runs (killed with SIGKILL) is taken over. Returns
 * the release function; throws DataDirLockedError naming the holder otherwise.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(resolve(dir), LOCK_FILE);
  const me: Holder = { pid: process.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      return () => {
        try {
          if ((JSON.parse(readFileSync(file, 'utf8')) as Holder).pid === process.pid) rmSync(file, { force: true });
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    } catch {
      holder = undefined; // half-written or unreadable: treat as stale
    }
    if (holder && holder.pid !== process.pid && alive(holder.pid)) {
      throw new DataDirLockedError(
        `The data folder ${dir} is in use by process ${holder.pid} (an npm start since ${holder.since}). ` +
          `Stop that one first, or use another --data folder. (${file})`,
      );
    }
    rmSync(file, { force: true });
  }
  throw new DataDirLockedError(`Could not lock the data folder ${dir}: another process keeps taking ${file}.`);
}
