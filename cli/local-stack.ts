/**
 * How `npm start` tells local tools (`npm run alarm`, the CLI) where it runs: it writes this
 * file, they read it. Here, in cli/, because the one-file command needs it and takes nothing
 * from infra/local/ (local mode's own code imports it from here). Kept free of the service's
 * imports so a tool can read it before it loads (and configures) the handlers.
 */
import { readFileSync } from 'node:fs';

/** Where local mode keeps its files: `.local/`, or LOCAL_DIR (tests use their own). */
export const LOCAL_DIR = process.env.LOCAL_DIR || '.local';

/** Written by `npm start` (mode 0600: it holds the run launcher's secret), removed when it stops. */
export const LOCAL_STACK_FILE = `${LOCAL_DIR}/local-stack.json`;

export interface LocalStackInfo {
  url: string;
  dynamodbEndpoint: string;
  tableName: string;
  /** Where the notification path writes what it publishes (when it runs). */
  notificationsFile: string | undefined;
  /** REDEPLOY_TARGETS of this stack (JSON), and where its run host takes launches: for tools that start runs. */
  redeployTargets?: string | undefined;
  runLauncherUrl?: string | undefined;
  /** The run host's per-launch secret: why the file is written readable by its owner only. */
  runLauncherSecret?: string | undefined;
  /** The `npm start` process that wrote the file, so a reader can tell a running stack from a crashed one's leftovers. */
  pid?: number;
}

/** Whether a process with this id runs (signal 0 only checks; EPERM means it runs as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The stack a running `npm start` recorded in `file`, or undefined when there is none: no file,
 * an unreadable one, or one left by a process that no longer runs (killed, crashed).
 */
export function runningLocalStack(file: string = LOCAL_STACK_FILE): LocalStackInfo | undefined {
  let info: LocalStackInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof info?.url !== 'string') return undefined;
  if (typeof info.pid === 'number' && !alive(info.pid)) return undefined;
  return info;
}
