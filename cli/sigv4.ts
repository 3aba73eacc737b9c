/**
 * SigV4 signing for the deployed API. API Gateway's IAM authorizer checks the signature, so
 * the CLI signs exactly what fetch will send: method, path, query, host and body.
 */
import type { SignatureV4 } from '@smithy/signature-v4';

/** What SignatureV4 accepts as credentials: fixed keys or a provider (the credential chain). */
export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface RequestToSign {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
}

export interface SigningOptions {
  region: string;
  credentials: Credentials;
  /** Fixed signing time; tests use it, real calls sign with the current time. */
  signingDate?: Date;
}

/** API Gateway's signing name: requests to execute-api, not to apigateway (the management API). */
export const SIGNING_SERVICE = 'execute-api';

/** The query of a URL as SignatureV4 wants it: repeated keys become arrays. */
function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
}

/**
 * Returns the headers to send with the request, `authorization` and `x-amz-date` (and the
 * session token, for an assumed role) included. `host` is signed but left out of the result:
 * fetch sets it itself from the URL, to the same value.
 */
export async function signRequest(request: RequestToSign, options: SigningOptions): Promise<Record<string, string>> {
  // Loaded on the first signed request: local mode and `--help` never pay for the signer.
  const [{ Sha256 }, { HttpRequest }, { SignatureV4 }] = await Promise.all([
    import('@aws-crypto/sha256-js'),
    import('@smithy/protocol-http'),
    import('@smithy/signature-v4'),
  ]);
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const { url } = request;
  const unsigned = new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: queryOf(url),
    headers: { ...request.headers, host: url.host },
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  const signed = await signer.sign(unsigned, options.signingDate ? { signingDate: options.signingDate } : {});
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name.toLowerCase() !== 'host') headers[name] = value;
  }
  return headers;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Local mode (`npm start`) takes unsigned requests; anything else is the deployed API. */
export function isLocalUrl(url: URL): boolean {
  return LOCAL_HOSTS.has(url.hostname);
}

/** The region in an API Gateway default endpoint (`{id}.execute-api.{region}.amazonaws.com`). */
export function regionFromHost(hostname: string): string | undefined {
  return /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(hostname)?.[1];
}
