import { inject } from 'vitest';
import { motoEnv } from './moto-server.js';

// Point every SDK client of this test file that talks to CloudWatch, ECR, ECS, CodePipeline,
// IAM, STS, Secrets Manager, SNS, SQS or EventBridge at the project's moto_server, through the
// SDK's own AWS_ENDPOINT_URL_<SERVICE> variables (the region and the fake credentials are
// dynamodb-env.ts's, or the infra project's below).
Object.assign(process.env, motoEnv(inject('motoEndpoint')));
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
