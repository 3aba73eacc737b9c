/**
 * Bundle size per function, built exactly as the stack bundles it (infra/bundling.ts), next
 * to a reference bundle that only creates the same AWS SDK clients: the difference is what
 * our code and its other dependencies cost in bytes, and so in download and parse time.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { FALLBACK, ROUTES } from '../functions/routes.js';
import { esbuildOptions } from '../infra/bundling.js';
import { OUT, ROOT } from './lib/paths.js';

/**
 * The AWS SDK client packages a function may bundle, and the client class each one exports. A
 * reference creates one client of each package its function bundles (lib-dynamodb's document
 * client wraps a DynamoDB client), so the difference is never an SDK client the function needs.
 */
export const SDK_CLIENTS: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/lib-dynamodb': 'DynamoDBDocumentClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-lambda': 'LambdaClient',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-cloudwatch': 'CloudWatchClient',
  '@aws-sdk/client-ecr': 'ECRClient',
  '@aws-sdk/client-ecs': 'ECSClient',
  '@aws-sdk/client-codepipeline': 'CodePipelineClient',
  '@aws-sdk/client-sts': 'STSClient',
};

/**
 * The lines of a reference that creates `clients` (packages of SDK_CLIENTS), each as the
 * service creates it: the DynamoDB client with the endpoint from the environment, wrapped in
 * a document client with the same marshalling options; the others in the configured region.
 */
export function clientLines(clients: readonly string[]): string[] {
  const lines: string[] = [];
  const dynamo = clients.includes('@aws-sdk/client-dynamodb') || clients.includes('@aws-sdk/lib-dynamodb');
  if (dynamo) {
    lines.push(
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
      'const endpoint = process.env.DYNAMODB_ENDPOINT;',
      'const client = new DynamoDBClient({ region: process.env.AWS_REGION, ...(endpoint ? { endpoint } : {}) });',
      'export const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });',
    );
  }
  for (const name of clients) {
    const className = SDK_CLIENTS[name];
    if (!className || name === '@aws-sdk/client-dynamodb' || name === '@aws-sdk/lib-dynamodb') continue;
    lines.unshift(`import { ${className} } from '${name}';`);
    lines.push(
      `export const ${className[0]?.toLowerCase()}${className.slice(1)} = new ${className}({ region: process.env.AWS_REGION });`,
    );
  }
  return lines;
}

export interface Bundle {
  id: string;
  /** The built handler module, index.mjs; init time imports this file. */
  file: string;
  /** Every file of the function's code (index.mjs and its chunks), source maps aside. */
  bytes: number;
  /** Of `bytes`, what a cold start reads and compiles: index.mjs and the chunks it imports statically. */
  initBytes: number;
  /** Bytes that come from our own sources (inputs under functions/), in every file. */
  ownBytes: number;
  /** Bytes per top-level package, largest first, to explain a size. */
  packages: Record<string, number>;
  /** The AWS SDK client packages found in the bundle. */
  clients: string[];
}

export interface BundleReport {
  functions: (Bundle & { reference: string })[];
  references: Record<string, Bundle>;
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  return input.startsWith('functions/') ? 'functions/ (own code)' : input;
}

/** The outputs a cold start loads: the entry and, transitively, the chunks it imports statically. */
function loadedAtInit(outputs: Metafile['outputs'], entry: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const i of outputs[path]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  return loaded;
}

function describe(id: string, file: string, metafile: Metafile): Bundle {
  const code = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
  const entry = code.find(([path]) => path.endsWith('/index.mjs'));
  if (!entry) throw new Error(`esbuild wrote no index.mjs for ${id}`);
  const init = loadedAtInit(metafile.outputs, entry[0]);
  const packages: Record<string, number> = {};
  for (const [, meta] of code) {
    for (const [input, { bytesInOutput }] of Object.entries(meta.inputs)) {
      const name = packageOf(input);
      packages[name] = (packages[name] ?? 0) + bytesInOutput;
    }
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([, a], [, b]) => b - a));
  const sum = (files: typeof code) => files.reduce((total, [, meta]) => total + meta.bytes, 0);
  return {
    id,
    file,
    bytes: sum(code),
    initBytes: sum(code.filter(([path]) => init.has(path))),
    ownBytes: packages['functions/ (own code)'] ?? 0,
    packages: sorted,
    clients: Object.keys(SDK_CLIENTS).filter((name) => name in packages),
  };
}

async function buildOne(id: string, entry: BuildOptions): Promise<Bundle> {
  const dir = join(OUT, 'bundles', id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({ ...esbuildOptions(), outdir: dir, metafile: true, ...entry });
  return describe(id, join(dir, 'index.mjs'), result.metafile as Metafile);
}

/** A reference entry: creates the given SDK clients and does nothing else. */
function referenceSource(clients: string[]): string {
  return [...clientLines(clients), 'export {};'].join('\n');
}

/** Builds every route's function, the fallback, and one reference per set of SDK clients. */
export async function measureBundles(): Promise<BundleReport> {
  const entries = [...ROUTES, FALLBACK].map((r) => ({ id: r.id, entry: r.entry }));
  const built = await Promise.all(entries.map((e) => buildOne(e.id, { entryPoints: [join(ROOT, e.entry)] })));
  const references: Record<string, Bundle> = {};
  const functions: BundleReport['functions'] = [];
  for (const bundle of built) {
    const key = bundle.clients.length ? bundle.clients.map((c) => c.replace('@aws-sdk/', '')).join('+') : 'no-sdk';
    if (!references[key]) {
      references[key] = await buildOne(`reference-${key}`, {
        stdin: {
          contents: referenceSource(bundle.clients),
          resolveDir: ROOT,
          loader: 'ts',
          sourcefile: `reference-${key}.ts`,
        },
      });
    }
    functions.push({ ...bundle, reference: key });
  }
  return { functions, references };
}
