/**
 * The whole service on one machine: DynamoDB Local with the deployments table, and the API
 * server in front of the real handlers. `npm start`, the e2e tests and the benchmark use it.
 */
import {
  createDeploymentsTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localClient,
  startDynamoDbLocal,
} from './dynamodb-local.js';
import { startApiServer } from './server.js';

export interface LocalStack {
  url: string;
  dynamodbEndpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local, creates the table and serves the API. Sets the environment the
 * handlers read at init (TABLE_NAME, DYNAMODB_ENDPOINT, credentials) before loading them.
 */
export async function startLocalStack(
  options: { port?: number; dataDir?: string; tableName?: string } = {},
): Promise<LocalStack> {
  const tableName = options.tableName ?? 'deployments';
  const db = await startDynamoDbLocal({ dataDir: options.dataDir });
  try {
    const client = localClient(db.endpoint);
    await createDeploymentsTable(client, tableName);
    client.destroy();
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: db.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    const { server, url } = await startApiServer(options.port ?? 0);
    return {
      url,
      dynamodbEndpoint: db.endpoint,
      tableName,
      stop: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await db.stop();
      },
    };
  } catch (error) {
    await db.stop();
    throw error;
  }
}
