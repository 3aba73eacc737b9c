import { type IncomingHttpHeaders, request } from 'node:http';

/**
 * A raw HTTP request to a server on 127.0.0.1:`port` (fetch would not let a test set Host,
 * Origin or Sec-Fetch-Site). Host is the server's own unless `headers` say otherwise.
 */
export function rawRequest(
  port: number | string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
