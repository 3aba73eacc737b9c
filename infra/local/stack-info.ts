/**
 * How `npm start` tells local tools (`npm run alarm`) where it runs. Kept free of imports so
 * a tool can read it before it loads (and configures) the handlers.
 */

/** Where local mode keeps its files: `.local/`, or LOCAL_DIR (tests use their own). */
export const LOCAL_DIR = process.env.LOCAL_DIR || '.local';

/** Written by `npm start`, removed when it stops. */
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
}
