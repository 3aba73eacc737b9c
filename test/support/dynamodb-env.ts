import { inject } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../infra/local/dynamodb-local.js';

// Point every SDK client of this test file at the run's DynamoDB Local.
Object.assign(process.env, {
  DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
});
