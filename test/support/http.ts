import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalStackOptions, startLocalStack } from '../../infra/local/stack.js';
import { answerOf, assertDocumented, violations } from './openapi.js';

export const BASE = '/api/v1/platform/deployments';

/**
 * The local API (real handlers over HTTP) on its own table of the run's DynamoDB Local.
 * Every answer it gives, to `call` or to anything else pointed at its URL (the CLI), is
 * checked against docs/openapi.json: `call` throws on a mismatch, and `stop` throws naming
 * every mismatch any other client got.
 */
export async function localApi(options: Pick<LocalStackOptions, 'redeployTargets' | 'notifications'> = {}) {
  const mismatches: string[] = [];
  const stack = await startLocalStack({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    tableName: `e2e-${randomUUID().slice(0, 8)}`,
    ...options,
    observe: ({ method, path }, result) => {
      const headers = (result.headers ?? {}) as Record<string, string>;
      const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString() : (result.body ?? '');
      mismatches.push(
        ...violations({
          method,
          path,
          status: result.statusCode ?? 200,
          contentType: headers['content-type'] ?? null,
          text,
          headers,
        }),
      );
    },
  });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    assertDocumented(answerOf(method, new URL(path, stack.url).pathname, response, text));
    return {
      status: response.status,
      headers: response.headers,
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
      body: (text ? JSON.parse(text) : undefined) as any,
    };
  };
  /** Reads a run until `done` (default: it ended); throws if it never is. */
  const untilRun = async (
    runId: string,
    done: (run: { status: string }) => boolean = (r) => r.status !== 'RUNNING',
  ) => {
    for (let i = 0; i < 150; i++) {
      const run = (await call('GET', `${BASE}/rollbacks/${runId}`)).body;
      if (done(run)) return run;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`run ${runId} did not end`);
  };
  const stop = async () => {
    await stack.stop();
    if (mismatches.length) {
      throw new Error(`answers that do not match docs/openapi.json:\n${[...new Set(mismatches)].join('\n')}`);
    }
  };
  return { ...stack, call, untilRun, stop };
}
