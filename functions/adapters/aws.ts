/**
 * AWS SDK clients, created once per cold start and shared by every invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { Ports } from '../core/ports.js';
import { type Config, readConfig } from '../lib/config.js';
import { DynamoDeploymentStore } from './dynamodb-store.js';

export function documentClient(config: Pick<Config, 'region' | 'dynamodbEndpoint'>): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The ports of a running function, built from its configuration. */
export function portsFor(config: Config): Ports {
  return {
    deployments: new DynamoDeploymentStore(documentClient(config), config.tableName),
    now: () => new Date(),
    newId: monotonicFactory(),
  };
}

let shared: { config: Config; ports: Ports } | undefined;

/** This process's configuration and ports, built on first use (i.e. at handler init). */
export function app(): { config: Config; ports: Ports } {
  if (!shared) {
    const config = readConfig();
    shared = { config, ports: portsFor(config) };
  }
  return shared;
}
