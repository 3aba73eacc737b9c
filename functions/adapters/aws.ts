/**
 * AWS SDK clients, created once per cold start and shared by every invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../core/errors.js';
import type { DeploymentReader, Ports, ReadPorts } from '../core/ports.js';
import type { App } from '../lib/app.js';
import { type Config, readConfig } from '../lib/config.js';
import { deploymentReader } from './dynamodb/reads.js';
import { deploymentStore } from './dynamodb/store.js';
import type { Table } from './dynamodb/table.js';
import { newUlid } from './ulid.js';

/**
 * Time bounds of every DynamoDB call. Without them a frozen or unreachable table held a
 * request until the Lambda timeout, and the write could land after its caller had given up.
 * Per attempt: 1 s to connect, 2 s for the answer (a single-item write or a page read takes
 * milliseconds); at most 3 attempts with the SDK's jittered backoff. Worst case about 3 × 2 s
 * plus under 1 s of backoff: well inside the API functions' 10 s timeout (and API Gateway's
 * 30 s), so the caller gets a 503 with Retry-After instead of a gateway timeout.
 */
export const DYNAMODB_TIMEOUTS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, maxAttempts: 3 } as const;

/** Seconds a caller is told to wait (Retry-After) when the table did not answer. */
export const RETRY_AFTER_SECONDS = 2;

/** Error names of faults that are the table's (or the network's), not the request's. */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether `error` (what the SDK threw after its retries) means the table is unavailable for
 * now. Conditional-check failures, cancelled transactions and validation errors are not:
 * they are answers, and the store maps them itself.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, $metadata } = error as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  if (UNAVAILABLE_NAMES.has(error.name) || (code !== undefined && UNAVAILABLE_CODES.has(code))) return true;
  // A 5xx the SDK has no modelled error for (a proxy, a load balancer).
  return ($metadata?.httpStatusCode ?? 0) >= 500 && error.name !== 'TransactionCanceledException';
}

export function documentClient(config: Pick<Config, 'region' | 'dynamodbEndpoint'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    maxAttempts: DYNAMODB_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: DYNAMODB_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: DYNAMODB_TIMEOUTS.requestTimeoutMs,
      // Without it the SDK only logs a warning when the answer is late, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
  // Outermost step, so it sees what is left after the retries: an outage becomes the
  // domain's DependencyUnavailableError (503 + Retry-After through the one error mapper),
  // and core never learns the SDK's error names.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isUnavailable(error))
          throw new DependencyUnavailableError('DynamoDB', RETRY_AFTER_SECONDS, { cause: error });
        throw error;
      }
    },
    { step: 'initialize', name: 'dependencyUnavailable', priority: 'high' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

let config: Config | undefined;
let documents: DynamoDBDocumentClient | undefined;
let shared: App<Ports> | undefined;
let sharedReads: App<ReadPorts> | undefined;

/** This process's configuration, read once (at handler init, by the first app built). */
export function sharedConfig(): Config {
  config ??= readConfig();
  return config;
}

/**
 * This process's DynamoDB client, made once: every app a function builds (the records' and
 * the runs', for the run starter and the alarm function both) shares its credentials and its
 * connections, so a cold start resolves and connects once.
 */
export function sharedDocuments(): DynamoDBDocumentClient {
  documents ??= documentClient(sharedConfig());
  return documents;
}

/**
 * The auto-rollback function's configuration and ports: every read and every write of the
 * records (the run workflow's ports, runs.ts, build on the same), built at handler init.
 */
export function autoRollbackApp(): App<Ports> {
  if (!shared) {
    const config = sharedConfig();
    shared = {
      config,
      ports: {
        deployments: deploymentStore({ client: sharedDocuments(), tableName: config.tableName }),
        now: () => new Date(),
        newId: newUlid,
        holdAfterRollback: config.holdAfterRollback,
      },
    };
  }
  return shared;
}

/**
 * The routes that only read records (history, target, tags, environments, metrics, by id):
 * their ports hold the reads alone, so their bundles hold none of the store's writes (nor the
 * id generator).
 */
export function readRouteApp(): App<ReadPorts> {
  if (!sharedReads) {
    const config = sharedConfig();
    sharedReads = {
      config,
      ports: {
        deployments: deploymentReader({ client: sharedDocuments(), tableName: config.tableName }),
        now: () => new Date(),
      },
    };
  }
  return sharedReads;
}

const writeApps = new Map<unknown, App<unknown>>();

/**
 * The routes that make one kind of write (record, finish, roll back by tag): its store is what `store` builds, the reads and
 * one write module's writes (`readsAndCreate` of dynamodb/create.ts, ...), so the route's bundle
 * holds its own writes and not the others'. Built once per process and store.
 */
export function writeRouteApp<S extends DeploymentReader>(
  store: (table: Table) => S,
): () => App<Omit<Ports, 'deployments'> & { deployments: S }> {
  return () => {
    let built = writeApps.get(store) as App<Omit<Ports, 'deployments'> & { deployments: S }> | undefined;
    if (!built) {
      const config = sharedConfig();
      const deployments = store({ client: sharedDocuments(), tableName: config.tableName });
      built = {
        config,
        ports: { deployments, now: () => new Date(), newId: newUlid, holdAfterRollback: config.holdAfterRollback },
      };
      writeApps.set(store, built);
    }
    return built;
  };
}
