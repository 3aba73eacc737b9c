/**
 * `platform-rollback console [--port N] [--allow-rollback] [--no-browser]`: starts the console
 * proxy (proxy.ts) for the API of --api-url, prints the URL with its launch token,
 * opens it in the browser unless told not to, and serves until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { type Credentials, isLocalUrl, regionFromHost } from '../sigv4.js';
import { type ConsoleProxy, startConsoleProxy } from './proxy.js';

export interface ConsoleCommandOptions {
  apiUrl: string;
  port: number;
  allowRollback: boolean;
  browser: boolean;
  /** Force signing on or off; default: on unless the API is local mode. */
  sign?: boolean | undefined;
  region?: string | undefined;
}

export interface ConsoleCommandDeps {
  print: (line: string) => void;
  env: NodeJS.ProcessEnv;
  credentials?: Credentials | undefined;
  fetch: typeof fetch;
  /** Opens a URL in the user's browser; default: xdg-open / open / start. */
  open?: (url: string) => void;
  /** Resolves when the console should stop; default: Ctrl-C or SIGTERM. */
  stopped?: Promise<void>;
}

function openInBrowser(url: string): void {
  const [command, ...args] =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url];
  try {
    const child = spawn(command as string, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No browser to open: the printed URL is enough.
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** Starts the proxy and serves until stopped; throws an Error with a usage message for bad options. */
export async function runConsole(options: ConsoleCommandOptions, deps: ConsoleCommandDeps): Promise<ConsoleProxy> {
  const api = new URL(options.apiUrl);
  const sign = options.sign ?? !isLocalUrl(api);
  let signing: false | { region: string; credentials: Credentials } = false;
  if (sign) {
    const region = options.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? regionFromHost(api.hostname);
    if (!region) throw new Error(`--region (or AWS_REGION) is required to sign requests to ${api.host}`);
    signing = { region, credentials: deps.credentials ?? fromNodeProviderChain() };
  }
  const proxy = await startConsoleProxy({
    apiUrl: options.apiUrl,
    port: options.port,
    allowRollback: options.allowRollback,
    sign: signing,
    fetch: deps.fetch,
  });
  deps.print(`Console for ${api.origin}${signing ? ` (SigV4, ${signing.region})` : ' (unsigned: local mode)'}`);
  deps.print(options.allowRollback ? 'Rollbacks from the page: ALLOWED' : 'Read-only (--allow-rollback to roll back)');
  deps.print(`Open: ${proxy.loginUrl}`);
  deps.print('The URL carries a token for this launch only; keep it to yourself. Ctrl-C stops the console.');
  if (options.browser) (deps.open ?? openInBrowser)(proxy.loginUrl);
  return proxy;
}

/** runConsole, then waits for Ctrl-C (or `stopped`) and closes the server. */
export async function serveConsole(options: ConsoleCommandOptions, deps: ConsoleCommandDeps): Promise<void> {
  const proxy = await runConsole(options, deps);
  await (deps.stopped ?? untilSignal());
  await proxy.close();
}
