import { inject } from 'vitest';
import { motoEnv } from './moto-server.js';

// Point every SDK client of this test file that talks to CloudWatch, ECR, ECS, CodePipeline,
// IAM, STS, Secrets Manager, SNS, SQS or EventBridge at the project's moto_server, through the
// SDK's own AWS_ENDPOINT_URL_<SERVICE> variables. The region and the fake credentials are
// dynamodb-env.ts's where the project has DynamoDB Local too; elsewhere clients name theirs.
Object.assign(process.env, motoEnv(inject('motoEndpoint')));
