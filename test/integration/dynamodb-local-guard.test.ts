/**
 * DynamoDB Local as local mode and the tests start it: on loopback only, answering its own
 * Host only, and no browser at all (a preflight included), while the SDK works as ever.
 */

import { existsSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { guardClasses, localClient } from '../../infra/local/dynamodb-local.js';
import { rawRequest } from '../support/raw-http.js';

const endpoint = new URL(inject('dynamodbEndpoint'));
const LIST_TABLES = {
  'x-amz-target': 'DynamoDB_20120810.ListTables',
  'content-type': 'application/x-amz-json-1.0',
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20261202/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
};

const send = (method: string, headers: Record<string, string>) =>
  rawRequest(endpoint.port, method, '/', headers, method === 'POST' ? '{}' : undefined);

/** This machine's addresses that are not loopback (a link-local IPv6 one with its interface). */
const outside = Object.entries(networkInterfaces()).flatMap(([name, addresses]) =>
  (addresses ?? [])
    .filter((a) => !a.internal)
    .map((a) => (a.family === 'IPv6' && a.address.startsWith('fe80:') ? `${a.address}%${name}` : a.address)),
);

describe('DynamoDB Local', () => {
  it('answers the SDK (and the same request by hand) at its own address', async () => {
    const client = localClient(endpoint.origin);
    await expect(client.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    client.destroy();
    expect((await send('POST', LIST_TABLES)).status).toBe(200);
  });

  it('refuses a DNS-rebinding page: another Host is 403', async () => {
    expect((await send('POST', { ...LIST_TABLES, host: `rebind.evil.example:${endpoint.port}` })).status).toBe(403);
  });

  it('refuses any browser: a cross-origin preflight and a request with Origin are 403, with no CORS header', async () => {
    const preflight = await send('OPTIONS', {
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-amz-target,content-type,authorization',
    });
    expect(preflight.status).toBe(403);
    expect(Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect((await send('POST', { ...LIST_TABLES, origin: 'http://evil.example' })).status).toBe(403);
    expect((await send('POST', { ...LIST_TABLES, origin: endpoint.origin })).status).toBe(403);
  });

  it.skipIf(outside.length === 0)(
    'is unreachable from the network: nothing listens on the port off loopback',
    async () => {
      for (const address of outside) {
        const outcome = await new Promise<string>((resolve) => {
          const socket = connect({ host: address, port: Number(endpoint.port) });
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        });
        expect({ address, outcome }).toEqual({ address, outcome: 'ECONNREFUSED' });
      }
    },
  );

  it('compiles its guard once with javac, and says why it cannot without one', () => {
    const cache = mkdtempSync(join(tmpdir(), 'guard-cache-'));
    const built = guardClasses({ cache });
    expect(built).toHaveProperty('classes');
    const { classes } = built as { classes: string };
    expect(existsSync(join(classes, 'DynamoDbLocalGuard.class'))).toBe(true);
    // Compiled once: the next start finds it, even without a javac.
    expect(guardClasses({ cache, javac: '/nonexistent/javac' })).toEqual({ classes });
    const none = guardClasses({ cache: mkdtempSync(join(tmpdir(), 'guard-cache-')), javac: '/nonexistent/javac' });
    expect((none as { problem: string }).problem).toMatch(/ENOENT/);
  });
});
