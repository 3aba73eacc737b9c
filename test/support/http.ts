import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalStack } from '../../infra/local/stack.js';

export const BASE = '/api/v1/platform/deployments';

/** The local API (real handlers over HTTP) on its own table of the run's DynamoDB Local. */
export async function localApi(options: { redeployTargets?: Record<string, unknown> } = {}) {
  const stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `e2e-${randomUUID().slice(0, 8)}`,
    ...options,
  });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
      body: (text ? JSON.parse(text) : undefined) as any,
    };
  };
  return { ...stack, call };
}
