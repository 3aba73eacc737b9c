/**
 * The whole service on one machine: DynamoDB Local with the deployments table, and the API
 * server in front of the real handlers. `npm start`, the e2e tests and the benchmark use it.
 * With `notifications`, it also runs the notification path: the table's stream → the
 * notifier → a file (see stream-poller.ts, file-publisher.ts). Every function it runs is the
 * one its Lambda entry composes (compose<Kind> of functions/events/<kind>.ts); local mode
 * passes only what a laptop lacks (a file for SNS). It runs no outbox sweeper: its stream
 * poller retries a failing record until it is published (it never gives up, as Lambda's event
 * source does after its retries), so a sweeper would never find anything to publish.
 */

import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { LocalStackInfo } from '../../cli/local-stack.js';
import { parseRedeployTargets } from '../../functions/core/redeploy/targets.js';
import { composeNotifier } from '../../functions/events/notifier.js';
import { composeReadinessRefresh } from '../../functions/events/readiness-refresh.js';
import { ok } from '../../functions/lib/http.js';
import { consoleRoutes, type LocalConsoleOptions } from './console-routes.js';
import {
  createDeploymentsTable,
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localClient,
  startDynamoDbLocal,
} from './dynamodb-local.js';
import { CHAT_NOTIFICATIONS_NAME, FilePublisher, readJsonLines, readNotifications } from './file-publisher.js';
import { RUN_HOST_PATH, type RunHost, startRunHost } from './run-host.js';
import { type LocalRoutes, type ResponseObserver, startApiServer } from './server.js';
import { type StreamPoller, startStreamPoller } from './stream-poller.js';

/** How often local mode refreshes every environment's readiness, as the deployed schedule does. */
export const READINESS_EVERY_MS = 60 * 60_000;

export interface LocalStack extends LocalStackInfo {
  /** Where the notification path writes the chat renderings (when it runs). */
  chatNotificationsFile: string | undefined;
  /** The emulator this stack started (none when given a running one). */
  emulator: Pick<DynamoDbLocal, 'pid' | 'exited' | 'guarded'> | undefined;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  port?: number;
  dataDir?: string;
  tableName?: string;
  /** Use this running DynamoDB Local (e.g. the test run's) instead of starting one; stop() leaves it running. */
  dynamodbEndpoint?: string;
  /**
   * Run the notification path, publishing to `file` (and logging each message), and the chat
   * renderings to `chatFile` (default: chat-notifications.jsonl beside `file`).
   */
  notifications?: { file: string; chatFile?: string; log?: (line: string) => void };
  /** Shown every API answer (the e2e suite checks each against the OpenAPI document). */
  observe?: ResponseObserver;
  /**
   * Redeploy targets (REDEPLOY_TARGETS' shape): environments listed here get rollback runs,
   * whose workflow the local server runs through the durable SDK's local runner.
   */
  redeployTargets?: Record<string, unknown>;
  /** The web console at `/` (rollbacks from it are allowed unless `allowRollback: false`). */
  console?: LocalConsoleOptions;
}

/**
 * Starts DynamoDB Local (unless given one), creates the table and serves the API. Sets the
 * environment the handlers read at init (TABLE_NAME, DYNAMODB_ENDPOINT, credentials, and a
 * random CURSOR_KEY unless one is set) before loading them.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const tableName = options.tableName ?? 'deployments';
  const db: Pick<DynamoDbLocal, 'endpoint' | 'stop'> & Partial<DynamoDbLocal> = options.dynamodbEndpoint
    ? { endpoint: options.dynamodbEndpoint, stop: async () => {} }
    : await startDynamoDbLocal({ dataDir: options.dataDir });
  let poller: StreamPoller | undefined;
  let readinessPoller: StreamPoller | undefined;
  let hourly: NodeJS.Timeout | undefined;
  let runHost: RunHost | undefined;
  const chatFile =
    options.notifications &&
    (options.notifications.chatFile ?? join(dirname(options.notifications.file), CHAT_NOTIFICATIONS_NAME));
  try {
    const client = localClient(db.endpoint);
    await createDeploymentsTable(client, tableName);
    client.destroy();
    // A new cursor key per run unless one is set: cursors need not survive a restart.
    process.env.CURSOR_KEY ||= randomBytes(32).toString('base64url');
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: db.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    let url = '';
    const localRoutes: LocalRoutes = {
      ...consoleRoutes(() => url, options.console),
      // The API's description, made from the same route table and schemas the handlers use.
      'GET /openapi.json': async () => ok((await import('../../functions/openapi/document.js')).buildOpenApi()),
      // Healthy while the server runs: the health URL local redeploy targets verify with by
      // default, and one a `platform-rollback rollback --health-url` against local mode can poll.
      'GET /_local/health': async () => ok({ status: 'ok' }),
    };
    if (options.redeployTargets) {
      process.env.REDEPLOY_TARGETS = JSON.stringify(options.redeployTargets);
      runHost = await startRunHost();
      Object.assign(localRoutes, runHost.routes);
    }
    // Listening first: the launcher's URL names the port. Nobody knows the URL before this
    // function returns, so no request arrives before the rest of the configuration is set.
    const started = await startApiServer(options.port ?? 0, localRoutes, options.observe);
    const server = started.server;
    url = started.url;
    if (runHost) {
      process.env.RUN_LAUNCHER_URL = `${url}${RUN_HOST_PATH}`;
      process.env.RUN_LAUNCHER_SECRET = runHost.secret;
    }
    // The configuration is complete: from here on the functions read it (once per process).
    const notifications = options.notifications;
    if (notifications && chatFile) {
      poller = await startStreamPoller({
        endpoint: db.endpoint,
        tableName,
        // The deployed notifier, composed as its Lambda entry composes it, with files for the
        // topics: the rollback topic's JSON, and each chat line the message itself (exactly
        // what Amazon Q would be given).
        handler: composeNotifier({
          publisher: new FilePublisher(notifications.file, notifications.log),
          chat: {
            publisher: new FilePublisher(
              chatFile,
              () => {},
              (n) => JSON.parse(n.message),
            ),
            context: { targets: parseRedeployTargets(options.redeployTargets ?? {}, 'redeployTargets') },
          },
        }),
        // One line per failed poll, not a stack trace: an emulator that went away would
        // otherwise flood the terminal until start.ts notices and stops.
        onError: (error) => console.error(`stream poller: ${error instanceof Error ? error.message : String(error)}`),
      });
      // The readiness refresh, composed as its Lambda entry composes it: a second consumer of the
      // stream (as in AWS, where it has an event source mapping of its own), and the hourly
      // schedule as a timer. A failed refresh is retried by the poller, as Lambda's retries would.
      const refresh = composeReadinessRefresh();
      readinessPoller = await startStreamPoller({
        endpoint: db.endpoint,
        tableName,
        handler: async (event) => {
          await refresh(event);
          return { batchItemFailures: [] };
        },
        onError: (error) =>
          console.error(`readiness refresh: ${error instanceof Error ? error.message : String(error)}`),
      });
      hourly = setInterval(() => {
        refresh({ source: 'local.timer', 'detail-type': 'Scheduled Event' }).catch((error: unknown) =>
          console.error(`readiness refresh: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, READINESS_EVERY_MS);
      hourly.unref();
      localRoutes['GET /_local/notifications'] = async () => ok(await readNotifications(notifications.file));
      localRoutes['GET /_local/chat-notifications'] = async () => ok(await readJsonLines(chatFile));
    }
    return {
      url,
      dynamodbEndpoint: db.endpoint,
      tableName,
      notificationsFile: notifications?.file,
      chatNotificationsFile: chatFile,
      redeployTargets: process.env.REDEPLOY_TARGETS,
      runLauncherUrl: runHost ? process.env.RUN_LAUNCHER_URL : undefined,
      runLauncherSecret: runHost?.secret,
      emulator:
        db.pid !== undefined && db.exited
          ? { pid: db.pid, exited: db.exited, guarded: db.guarded ?? false }
          : undefined,
      stop: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await runHost?.stop();
        clearInterval(hourly);
        await readinessPoller?.stop();
        await poller?.stop();
        await db.stop();
      },
    };
  } catch (error) {
    await runHost?.stop();
    clearInterval(hourly);
    await readinessPoller?.stop();
    await poller?.stop();
    await db.stop();
    throw error;
  }
}
