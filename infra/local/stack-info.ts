/**
 * How `npm start` tells local tools (`npm run alarm`) where it runs. Kept free of imports so
 * a tool can read it before it loads (and configures) the handlers.
 */

/** Written by `npm start`, removed when it stops. */
export const LOCAL_STACK_FILE = '.local/local-stack.json';

export interface LocalStackInfo {
  url: string;
  dynamodbEndpoint: string;
  tableName: string;
  /** Where the notification path writes what it publishes (when it runs). */
  notificationsFile: string | undefined;
}
