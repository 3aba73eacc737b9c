import { randomUUID } from 'node:crypto';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { monotonicFactory } from 'ulid';
import { documentClient } from '../../functions/adapters/aws.js';
import { deploymentStore } from '../../functions/adapters/dynamodb/store.js';
import type { HistoryPorts } from '../../functions/core/ports.js';
import { createDeploymentsTable, LOCAL_REGION, localClient } from '../../infra/local/dynamodb-local.js';
import { TEST_CURSOR_KEY } from './memory-store.js';

/**
 * A fresh deployments table on the run's DynamoDB Local, with a real store over it (in ports
 * that carry the test cursor key) and a log of the capacity each operation consumed.
 */
export async function freshTable() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run this file in the integration or e2e project');
  const tableName = `deployments-${randomUUID().slice(0, 8)}`;
  const raw = localClient(endpoint);
  await createDeploymentsTable(raw, tableName);
  const client = documentClient({ region: LOCAL_REGION, dynamodbEndpoint: endpoint });
  const capacity: { operation: string; consumed: ConsumedCapacity[] }[] = [];
  const store = deploymentStore({
    client,
    tableName,
    onCapacity: (operation, consumed) => capacity.push({ operation, consumed }),
  });
  const ports: HistoryPorts = {
    deployments: store,
    now: () => new Date(),
    newId: monotonicFactory(),
    cursorKey: TEST_CURSOR_KEY,
  };
  return { endpoint, tableName, raw, client, store, ports, capacity };
}
