/**
 * `platform-rollback`: the command pipelines run to roll back safely, and thin commands over
 * the API's routes for pipelines that script the steps themselves. Parses arguments
 * (node:util parseArgs), builds the API client (SigV4 for the deployed API, plain HTTP for
 * local mode), runs the command and returns its exit code (see exit-codes.ts). COMMANDS is
 * the one command table: each entry carries its usage, its options and its own `run`.
 */
import { parseArgs } from 'node:util';
// The AWS SDK clients, the credential chain and the rollback with its checks are imported
// where a command needs them, not here: `--help` and the thin commands never load them.
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { Deployment } from '../functions/core/deployment.js';
import { STATUSES, type Status } from '../functions/core/deployment.js';
import { DeploymentId, Environment, ImageTag } from '../functions/core/schemas.js';
import { ApiClient, ApiError, type RecordInput } from './api-client.js';
import { DEFAULT_CONSOLE_PORT } from './console/defaults.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { LOCAL_STACK_FILE, runningLocalStack } from './local-stack.js';
import { Output, type Sink } from './output.js';
import type { RollbackOptions } from './rollback.js';
import { type Credentials, isLocalUrl, regionFromHost } from './sigv4.js';

/** What main() uses from the outside world; tests replace any of it. */
export interface CliDeps {
  stdout: Sink;
  stderr: Sink;
  env: NodeJS.ProcessEnv;
  /** Used for the API and the health check. */
  fetch: typeof fetch;
  /** Credentials for SigV4; default: the standard AWS chain (the pipeline's assumed role). */
  credentials?: Credentials;
  /** Builds the ECR client for the image check; default: a real client in `region`. */
  ecrClient?: (region: string | undefined) => ECRClient;
  /**
   * The URL of a running `npm start` (its .local/local-stack.json), the API used when neither
   * --api-url nor PLATFORM_ROLLBACK_API_URL is given; default: read that file.
   */
  localStackUrl?: () => string | undefined;
  /** Asks for confirmation; default: a prompt on a terminal, none elsewhere. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Gets the command's result (what --json prints) in either mode; the GitHub Action's outputs. */
  onResult?: ((value: unknown) => void) | undefined;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'api-url': { type: 'string' },
  region: { type: 'string' },
  sign: { type: 'boolean' },
  environment: { type: 'string', short: 'e' },
  to: { type: 'string' },
  reason: { type: 'string' },
  'deploy-command': { type: 'string' },
  'deploy-timeout': { type: 'string' },
  'health-url': { type: 'string' },
  'health-successes': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-timeout': { type: 'string' },
  'ecr-repository': { type: 'string' },
  'pipeline-run-url': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'via-service': { type: 'boolean' },
  'follow-timeout': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  force: { type: 'boolean' },
  'image-tag': { type: 'string' },
  limit: { type: 'string' },
  status: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  'image-digest': { type: 'string' },
  version: { type: 'string' },
  'commit-sha': { type: 'string' },
  notes: { type: 'string' },
  migrations: { type: 'string' },
  'rollback-of': { type: 'string' },
  'deployed-at': { type: 'string' },
  'idempotency-key': { type: 'string' },
  port: { type: 'string' },
  'allow-rollback': { type: 'boolean' },
  browser: { type: 'boolean' },
  'require-ready': { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

const GLOBAL: OptionName[] = ['help', 'json', 'api-url', 'region', 'sign'];
const ROLLBACK: OptionName[] = [
  'environment',
  'to',
  'reason',
  'deploy-command',
  'deploy-timeout',
  'health-url',
  'health-successes',
  'health-interval',
  'health-timeout',
  'ecr-repository',
  'pipeline-run-url',
  'dry-run',
  'yes',
  'force',
  'via-service',
  'follow-timeout',
];

/** What a command's `run` gets: its checked arguments, the CLI's dependencies and output. */
interface CommandContext {
  values: Values;
  /** The image tag (`--image-tag`, or the positional argument of a command that takes one), checked. */
  tag: string | undefined;
  /** The positional arguments after the command's name. */
  rest: string[];
  deps: CliDeps;
  out: Output;
  /** The API client (built before `run`, so a missing API URL is the first thing said). */
  api: () => Promise<ApiClient>;
}

interface Command {
  summary: string;
  usage: string;
  options: OptionName[];
  /** A command that takes the image tag as its one positional argument. */
  tagArgument?: boolean;
  /** A command that takes an id (a rollback run's) as its one positional argument. */
  idArgument?: boolean;
  /** A command that talks to the API through a client of its own (the console): none is built for it. */
  ownClient?: boolean;
  /** Carries the command out; resolves with its exit code. */
  run: (context: CommandContext) => Promise<ExitCode>;
}

const COMMANDS: Record<string, Command> = {
  rollback: {
    summary: 'roll back an environment: target, (checks), mark, deploy, record, health',
    usage: `rollback --environment ENV [--to TAG] [--reason TEXT] --deploy-command CMD [--health-url URL]
                  [--health-successes N] [--health-interval DUR] [--health-timeout DUR] [--deploy-timeout DUR]
                  [--ecr-repository NAME|URI] [--pipeline-run-url URL] [--dry-run] [--yes] [--force --reason TEXT]
       rollback --via-service --environment ENV --reason TEXT [--to TAG] [--follow-timeout DUR]`,
    options: ROLLBACK,
    run: rollbackCommand,
  },
  runs: {
    summary: "an environment's rollback runs (the service's own rollbacks), newest first",
    usage: 'runs --environment ENV [--limit N] [--cursor C]',
    options: ['environment', 'limit', 'cursor'],
    run: runsCommand,
  },
  run: {
    summary: 'one rollback run with its steps and the redeploy link',
    usage: 'run ID',
    options: [],
    idArgument: true,
    run: runCommand,
  },
  plan: {
    summary: 'what rollback would do (current, target, every check, the steps); changes nothing',
    usage: 'plan --environment ENV [--to TAG] [same options as rollback]',
    options: ROLLBACK,
    run: planCommand,
  },
  history: {
    summary: "an environment's deployments, newest first",
    usage: 'history --environment ENV [--limit N] [--status STATUS] [--cursor C] [--all]',
    options: ['environment', 'limit', 'status', 'cursor', 'all'],
    run: historyCommand,
  },
  target: {
    summary: 'what a rollback would go back to (the rollback-target route)',
    usage: 'target --environment ENV [--image-tag TAG]',
    options: ['environment', 'image-tag'],
    run: targetCommand,
  },
  exists: {
    summary: 'whether any record of an image tag exists',
    usage: 'exists TAG [--environment ENV]',
    options: ['environment', 'image-tag'],
    tagArgument: true,
    run: existsCommand,
  },
  record: {
    summary: 'record a deployment',
    usage: `record --environment ENV --image-tag TAG [--status DEPLOYED|IN_PROGRESS|FAILED] [--image-digest D]
                [--version V] [--commit-sha SHA] [--notes TEXT] [--migrations JSON] [--pipeline-run-url URL]
                [--rollback-of ID] [--deployed-at ISO] [--idempotency-key KEY]`,
    options: [
      'environment',
      'image-tag',
      'status',
      'image-digest',
      'version',
      'commit-sha',
      'notes',
      'migrations',
      'pipeline-run-url',
      'rollback-of',
      'deployed-at',
      'idempotency-key',
    ],
    run: recordCommand,
  },
  console: {
    summary: 'the web console on 127.0.0.1, forwarding its API calls SigV4-signed (docs/CONSOLE.md)',
    usage: `console [--port N] [--allow-rollback] [--no-browser]   (default port ${DEFAULT_CONSOLE_PORT})`,
    options: ['port', 'allow-rollback', 'browser'],
    ownClient: true,
    run: consoleCommand,
  },
  gate: {
    summary: 'may this version go to that environment now? exit 0 allowed, 5 not (each reason printed)',
    usage: 'gate --environment ENV --image-tag TAG [--require-ready]',
    options: ['environment', 'image-tag', 'require-ready'],
    run: gateCommand,
  },
  hold: {
    summary: 'hold an environment: no forward deployment starts there until released',
    usage: 'hold --environment ENV --reason TEXT',
    options: ['environment', 'reason'],
    run: (context) => holdCommand('hold', context),
  },
  release: {
    summary: "release an environment's hold (after a rollback, or a freeze)",
    usage: 'release --environment ENV --reason TEXT',
    options: ['environment', 'reason'],
    run: (context) => holdCommand('release', context),
  },
  'mark-rolled-back': {
    summary: 'mark the most recent record of a tag ROLLED_BACK (no redeploy)',
    usage: 'mark-rolled-back TAG [--environment ENV] [--reason TEXT]',
    options: ['environment', 'image-tag', 'reason'],
    tagArgument: true,
    run: markRolledBackCommand,
  },
};

const HELP = `platform-rollback: safe rollbacks and deployment records for CD pipelines

Usage: platform-rollback <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(17)} ${c.summary}`)
  .join('\n')}

Options for every command:
  --api-url URL      the API (env PLATFORM_ROLLBACK_API_URL; default: a running npm start
                     here); http://127.0.0.1/localhost is local mode
  --region REGION    for SigV4 (env AWS_REGION; default: from an execute-api host name)
  --sign, --no-sign  force SigV4 signing on or off (default: off in local mode, on otherwise)
  --json             print one JSON object on stdout (other output goes to stderr)
  -h, --help         this help; "platform-rollback <command> --help" for a command's options

Rollback options (environment variables in brackets):
  --deploy-command CMD   run with sh -c; gets IMAGE_TAG, ENVIRONMENT, TARGET_DEPLOYMENT_ID,
                         TARGET_VERSION, TARGET_IMAGE_DIGEST, TARGET_COMMIT_SHA, ROLLBACK_OF,
                         ROLLBACK_OF_IMAGE_TAG  [PLATFORM_ROLLBACK_DEPLOY_COMMAND]
  --health-url URL       polled after the deploy until N consecutive 2xx  [PLATFORM_ROLLBACK_HEALTH_URL]
  --health-successes N   default 3;  --health-interval DUR default 5s;  --health-timeout DUR default 5m
  --deploy-timeout DUR   stop the deploy command after this long (default: no limit)
  --ecr-repository REPO  name or URI for the image check  [PLATFORM_ROLLBACK_ECR_REPOSITORY]
  --force --reason TEXT  go on although a safety check failed (the reason is recorded)
  --yes                  do not ask for confirmation (needed without a terminal)
  --via-service          let the service carry the rollback out (a rollback run, where the
                         environment has a redeploy target): starts it and follows each step
  --follow-timeout DUR   stop following the run after this long (default 2h; the run goes on)
  Durations: 500ms, 5s, 2m (a plain number is seconds).

Exit codes:
  0  done
  1  usage error, or the API answered with an error
  2  a safety check failed (nothing was changed)
  3  the deploy command failed (no redeploy recorded)
  4  unhealthy after the rollback (redeployed and recorded)
  5  gate: not allowed (held, a known-bad tag, or with --require-ready not ready); each reason printed
  (--via-service: the same codes for the run's failed step: checks 2, redeploy or record 3, verify 4)
`;

class UsageError extends Error {}

/** "500ms", "5s", "2m", or a plain number of seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a duration like 500ms, 5s or 2m, got "${value}"`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

function parseCount(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function checked(schema: typeof Environment, value: string, flag: string): string {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${flag} ${result.error.issues[0]?.message ?? 'is invalid'}: "${value}"`);
  return result.data;
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

function httpUrl(value: string, flag: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${flag} must be an http(s) URL, got "${value}"`);
  }
  return value;
}

/** The run's URL on GitHub Actions, so the redeploy's record links to the pipeline that made it. */
function pipelineRunUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

/** Without an API URL: the local stack `npm start` runs in this directory, said on stderr; none is a usage error. */
function localStack(deps: CliDeps): string {
  const url = (deps.localStackUrl ?? (() => runningLocalStack()?.url))();
  if (!url) {
    throw new UsageError(
      `--api-url (or PLATFORM_ROLLBACK_API_URL) is required: no local stack runs here (${LOCAL_STACK_FILE}); ` +
        "start one with npm start, or give the deployed API's URL (the stack output ApiUrl)",
    );
  }
  deps.stderr.write(`Using the local stack at ${url} (from ${LOCAL_STACK_FILE}; --api-url to choose another API)\n`);
  return url;
}

async function apiClient(values: Values, deps: CliDeps): Promise<ApiClient> {
  const raw = values['api-url'] ?? deps.env.PLATFORM_ROLLBACK_API_URL ?? localStack(deps);
  const url = new URL(httpUrl(raw, '--api-url'));
  const sign = values.sign ?? !isLocalUrl(url);
  if (!sign) return new ApiClient({ baseUrl: raw, sign: false, fetch: deps.fetch });
  const region = values.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? regionFromHost(url.hostname);
  if (!region) throw new UsageError(`--region (or AWS_REGION) is required to sign requests to ${url.host}`);
  return new ApiClient({
    baseUrl: raw,
    sign: true,
    region,
    credentials: deps.credentials ?? (await import('@aws-sdk/credential-providers')).fromNodeProviderChain(),
    fetch: deps.fetch,
  });
}

async function rollbackOptions(values: Values, deps: CliDeps, dryRun: boolean): Promise<RollbackOptions> {
  const env = deps.env;
  const environment = checked(Environment, need(values.environment, '--environment'), '--environment');
  const to = values.to === undefined ? undefined : checked(ImageTag, values.to, '--to');
  if (values.force && !values.reason?.trim()) throw new UsageError('--force needs --reason "why"');
  const deployCommand = values['deploy-command'] ?? env.PLATFORM_ROLLBACK_DEPLOY_COMMAND;
  if (!dryRun && !deployCommand) {
    throw new UsageError('--deploy-command (or PLATFORM_ROLLBACK_DEPLOY_COMMAND) is required to roll back');
  }
  const healthUrl = values['health-url'] ?? env.PLATFORM_ROLLBACK_HEALTH_URL;
  const repository = values['ecr-repository'] ?? env.PLATFORM_ROLLBACK_ECR_REPOSITORY;
  const ref = repository ? (await import('../functions/core/safety.js')).parseRepository(repository) : undefined;
  const pipelineRunUrl = values['pipeline-run-url'] ?? pipelineRunUrlFrom(env);
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    environment,
    to,
    reason: values.reason,
    deployCommand,
    deployTimeoutMs: values['deploy-timeout'] ? parseDuration(values['deploy-timeout'], '--deploy-timeout') : undefined,
    healthUrl: healthUrl ? httpUrl(healthUrl, '--health-url') : undefined,
    health: {
      successes: values['health-successes'] ? parseCount(values['health-successes'], '--health-successes', 1, 100) : 3,
      intervalMs: values['health-interval'] ? parseDuration(values['health-interval'], '--health-interval') : 5000,
      timeoutMs: values['health-timeout'] ? parseDuration(values['health-timeout'], '--health-timeout') : 300_000,
    },
    dryRun,
    yes: values.yes ?? false,
    force: values.force ?? false,
    ecr: ref
      ? {
          repository: repository as string,
          client: deps.ecrClient
            ? deps.ecrClient(ref.region ?? region)
            : new (await import('@aws-sdk/client-ecr')).ECRClient({ region: ref.region ?? region }),
        }
      : undefined,
    pipelineRunUrl: pipelineRunUrl ? httpUrl(pipelineRunUrl, '--pipeline-run-url') : undefined,
  };
}

const line = (d: Deployment) =>
  [
    d.deployedAt,
    d.environment,
    d.imageTag.padEnd(20),
    d.status.padEnd(11),
    d.id,
    d.rollbackOf ? `rollbackOf ${d.rollbackOf}` : '',
    d.notes ? `"${d.notes.length > 60 ? `${d.notes.slice(0, 57)}...` : d.notes}"` : '',
  ]
    .filter(Boolean)
    .join('  ');

/** The `--environment` given, checked; undefined when none was. */
const environmentOf = (values: Values) =>
  values.environment ? checked(Environment, values.environment, '--environment') : undefined;

// The thin commands: one route each, the API's answer printed as it is (JSON) or as lines.

async function runsCommand({ values, out, api }: CommandContext): Promise<ExitCode> {
  const env = need(environmentOf(values), '--environment');
  const page = await (await api()).runs(env, {
    ...(values.limit ? { limit: parseCount(values.limit, '--limit', 1, 100) } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
  });
  out.result(page);
  for (const r of page.items) {
    out.line(
      [r.startedAt, r.id, r.status.padEnd(9), `${r.current.imageTag} → ${r.target.imageTag}`, r.trigger, r.reason]
        .filter(Boolean)
        .join('  '),
    );
  }
  if (!page.items.length) out.line(`no rollback runs in ${env}`);
  if (page.nextCursor) out.line(`more: --cursor ${page.nextCursor}`);
  return EXIT.ok;
}

async function historyCommand({ values, out, api }: CommandContext): Promise<ExitCode> {
  const env = need(environmentOf(values), '--environment');
  const status = values.status;
  if (status !== undefined && !STATUSES.includes(status as Status)) {
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  }
  const query = {
    ...(values.limit ? { limit: parseCount(values.limit, '--limit', 1, 100) } : {}),
    ...(status ? { status: status as Status } : {}),
    ...(values.cursor ? { cursor: values.cursor } : {}),
  };
  const client = await api();
  let page = await client.history(env, query);
  const items = [...page.items];
  while (values.all && page.nextCursor) {
    page = await client.history(env, { ...query, cursor: page.nextCursor });
    items.push(...page.items);
  }
  out.result({ items, nextCursor: page.nextCursor });
  for (const d of items) out.line(line(d));
  if (!items.length) out.line(`no deployments in ${env}`);
  if (page.nextCursor) out.line(`more: --cursor ${page.nextCursor} (or --all)`);
  return EXIT.ok;
}

async function targetCommand({ values, tag, out, api }: CommandContext): Promise<ExitCode> {
  const result = await (await api()).rollbackTarget(need(environmentOf(values), '--environment'), tag);
  out.result(result);
  out.line(`current  ${line(result.current)}`);
  out.line(`target   ${line(result.target)}`);
  return EXIT.ok;
}

async function existsCommand({ values, tag, out, api }: CommandContext): Promise<ExitCode> {
  const environment = environmentOf(values);
  const result = await (await api()).exists(need(tag, 'an image tag'), environment);
  out.result(result);
  out.line(
    result.exists
      ? `${result.imageTag} exists in ${result.environments.join(', ')}`
      : `${result.imageTag} has no record${environment ? ` in ${environment}` : ''}`,
  );
  return EXIT.ok;
}

/** `gate`: asks the deploy gate; 0 when allowed, 5 (EXIT.gateClosed) when not, each reason on its own line. */
async function gateCommand({ values, tag, out, api }: CommandContext): Promise<ExitCode> {
  const environment = need(environmentOf(values), '--environment');
  const imageTag = need(tag, '--image-tag');
  const answer = await (await api()).gate(environment, imageTag, values['require-ready'] ?? false);
  out.result(answer);
  if (answer.allowed) {
    out.line(`allowed  ${imageTag} may go to ${environment}`);
    return EXIT.ok;
  }
  out.line(`not allowed  ${imageTag} may not go to ${environment} now:`);
  for (const reason of answer.reasons) out.line(`  ${reason.guard}: ${reason.detail}`);
  return EXIT.gateClosed;
}

/** `hold` / `release`: the environment item afterwards, its hold in one line. */
async function holdCommand(action: 'hold' | 'release', { values, out, api }: CommandContext): Promise<ExitCode> {
  const environment = need(environmentOf(values), '--environment');
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError('--reason "why" is required');
  const item = await (await api()).holdOrRelease(action, environment, reason);
  out.result(item);
  out.line(
    item.hold
      ? `held  ${environment} since ${item.hold.since} by ${item.hold.by}: ${item.hold.reason}`
      : `released  ${environment}: forward deployments may start again`,
  );
  return EXIT.ok;
}

async function markRolledBackCommand({ values, tag, out, api }: CommandContext): Promise<ExitCode> {
  const record = await (await api()).markRolledBack(need(tag, 'an image tag'), {
    environment: environmentOf(values),
    reason: values.reason,
  });
  out.result(record);
  out.line(`ROLLED_BACK  ${line(record)}`);
  return EXIT.ok;
}

async function recordCommand({ values, tag, out, api }: CommandContext): Promise<ExitCode> {
  let migrations: unknown;
  if (values.migrations) {
    try {
      migrations = JSON.parse(values.migrations);
    } catch {
      throw new UsageError('--migrations must be a JSON array, e.g. \'[{"id":"0042_x","reversible":true}]\'');
    }
  }
  if (values['rollback-of']) checked(DeploymentId, values['rollback-of'], '--rollback-of');
  const input = Object.fromEntries(
    Object.entries({
      environment: need(environmentOf(values), '--environment'),
      imageTag: need(tag, '--image-tag'),
      status: values.status,
      imageDigest: values['image-digest'],
      version: values.version,
      commitSha: values['commit-sha'],
      notes: values.notes,
      migrations,
      pipelineRunUrl: values['pipeline-run-url'],
      rollbackOf: values['rollback-of'],
      deployedAt: values['deployed-at'],
    }).filter(([, v]) => v !== undefined),
  ) as RecordInput;
  const record = await (await api()).record(input, values['idempotency-key']);
  out.result(record);
  out.line(`recorded  ${line(record)}`);
  return EXIT.ok;
}

// The commands that roll back, follow runs, or serve the console.

/** `rollback`: the five steps here, or (`--via-service`) a rollback run the service carries out, followed. */
async function rollbackCommand(context: CommandContext): Promise<ExitCode> {
  const { values, out } = context;
  if (!values['via-service']) return rollbackHere(context, values['dry-run'] ?? false);
  const environment = checked(Environment, need(values.environment, '--environment'), '--environment');
  const reason = need(values.reason?.trim(), '--reason (a rollback run records why)');
  const { rollbackViaService } = await import('./run-follow.js');
  const report = await rollbackViaService(await context.api(), out, {
    environment,
    reason,
    to: values.to === undefined ? undefined : checked(ImageTag, values.to, '--to'),
    follow: {
      intervalMs: 2000,
      timeoutMs: values['follow-timeout'] ? parseDuration(values['follow-timeout'], '--follow-timeout') : 7_200_000,
    },
  });
  out.result(report);
  return report.exitCode;
}

/** `plan`: what `rollback` would do, changing nothing. */
function planCommand(context: CommandContext): Promise<ExitCode> {
  return rollbackHere(context, true);
}

async function rollbackHere({ values, deps, out, api }: CommandContext, dryRun: boolean): Promise<ExitCode> {
  const options = await rollbackOptions(values, deps, dryRun);
  const { runRollback } = await import('./rollback.js');
  const report = await runRollback(options, {
    api: await api(),
    out,
    confirm: deps.confirm,
    env: deps.env,
    fetch: deps.fetch,
  });
  out.result(report);
  if (report.error) out.warn(`${report.error.title}${report.error.detail ? `: ${report.error.detail}` : ''}`);
  return report.exitCode;
}

/** `run ID`: one rollback run with its steps; exits as the run ended (0 while it runs). */
async function runCommand({ rest, out, api }: CommandContext): Promise<ExitCode> {
  const id = need(rest[0], 'a run id (platform-rollback run ID)');
  const { exitCodeOf, redeployLine, stepLine } = await import('./run-follow.js');
  const run = await (await api()).run(id);
  out.result(run);
  out.line(`run ${run.id}  ${run.environment}  ${run.status}  ${run.current.imageTag} → ${run.target.imageTag}`);
  out.line(`  ${run.trigger} by ${run.requestedBy}: ${run.reason}`);
  for (const step of run.steps) out.line(`  ${stepLine(step)}`);
  const link = redeployLine(run);
  if (link) out.line(link);
  if (run.failure) out.line(`  failed at ${run.failure.step}: ${run.failure.detail}`);
  return run.status === 'RUNNING' ? EXIT.ok : exitCodeOf(run);
}

/** `console`: serves the web console for --api-url until Ctrl-C. */
async function consoleCommand({ values, deps }: CommandContext): Promise<ExitCode> {
  const apiUrl = values['api-url'] ?? deps.env.PLATFORM_ROLLBACK_API_URL;
  if (!apiUrl) throw new UsageError('--api-url (or PLATFORM_ROLLBACK_API_URL) is required');
  const { serveConsole } = await import('./console/command.js');
  await serveConsole(
    {
      apiUrl: httpUrl(apiUrl, '--api-url'),
      port: values.port === undefined ? DEFAULT_CONSOLE_PORT : parseCount(values.port, '--port', 0, 65535),
      allowRollback: values['allow-rollback'] ?? false,
      browser: values.browser ?? true,
      sign: values.sign,
      region: values.region,
    },
    {
      print: (text) => deps.stdout.write(`${text}\n`),
      env: deps.env,
      credentials: deps.credentials,
      fetch: deps.fetch,
    },
  );
  return EXIT.ok;
}

/** A y/N question on the terminal; none (undefined) when stdin is not one, e.g. in a pipeline. */
function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}

/**
 * Runs the CLI with `argv` (without node and the script) and returns the exit code. Never
 * throws for a usage or API error: it prints the problem's title and detail instead.
 */
export async function main(argv: string[], overrides: Partial<CliDeps> = {}): Promise<ExitCode> {
  const deps: CliDeps = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    fetch: globalThis.fetch,
    // Looked at when a command asks: opening stdin to see whether it is a terminal costs a
    // cold start (--help, the thin commands) milliseconds for nothing.
    get confirm() {
      return terminalConfirm();
    },
    ...overrides,
  };
  const jsonRequested = argv.includes('--json');
  const out = new Output(deps.stdout, deps.stderr, jsonRequested, deps.onResult);
  const fail = (code: ExitCode, title: string, detail: string, extra: Record<string, unknown> = {}) => {
    out.result({ ok: false, exitCode: code, error: { title, detail, ...extra } });
    out.warn(`${title}${detail ? `: ${detail}` : ''}`);
    return code;
  };
  try {
    const { values: parsed, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
    const values = parsed as Values;
    const [name, ...rest] = positionals;
    const command = name ? COMMANDS[name] : undefined;
    if (!name || values.help) {
      const text = command
        ? `Usage: platform-rollback ${command.usage}\n\n${command.summary}.\nplatform-rollback --help explains every option and the exit codes.\n`
        : HELP;
      deps.stdout.write(text);
      return name && !command ? EXIT.usageOrApi : EXIT.ok;
    }
    if (!command) throw new UsageError(`unknown command "${name}"; run platform-rollback --help`);
    const allowed = new Set<string>([...GLOBAL, ...command.options]);
    const extra = Object.keys(values).filter((k) => !allowed.has(k));
    if (extra.length) throw new UsageError(`${name} does not take --${extra.join(', --')}`);
    if (rest.length > (command.tagArgument || command.idArgument ? 1 : 0))
      throw new UsageError(`unexpected argument "${rest.at(-1)}"`);
    const tagValue = command.idArgument ? values['image-tag'] : (values['image-tag'] ?? rest[0]);
    const tag = tagValue === undefined ? undefined : checked(ImageTag, tagValue, 'the image tag');
    const client = command.ownClient ? undefined : await apiClient(values, deps);
    const api = async () => client ?? apiClient(values, deps);
    return await command.run({ values, tag, rest, deps, out, api });
  } catch (error) {
    if (error instanceof ApiError) {
      return fail(EXIT.usageOrApi, error.title, error.detail, { status: error.status, problem: error.problem });
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return fail(EXIT.usageOrApi, 'Usage error', (error as Error).message);
    }
    const e = error as Error;
    return fail(EXIT.usageOrApi, 'Error', e.message || String(error));
  }
}
