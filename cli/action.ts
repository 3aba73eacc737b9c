/**
 * The GitHub Action (action.yml): maps the action's inputs, which the runner passes as
 * `INPUT_<NAME>` environment variables (name upper-cased, spaces to `_`, hyphens kept), to
 * the CLI's flags, runs the CLI in this process, and on every exit, an input error included,
 * writes the outputs the next steps use (target tag, redeploy id, run id, exit code; the gate's
 * `allowed`) to the file named by `GITHUB_OUTPUT` and a step summary (action-summary.ts) to the
 * file named by `GITHUB_STEP_SUMMARY`.
 */
import { appendFileSync } from 'node:fs';
import { type Report, stepSummary } from './action-summary.js';
import { type CliDeps, main } from './main.js';
import { workflowCommand } from './workflow-commands.js';

/** Inputs passed through as `--<name> <value>` when not empty. */
const VALUE_INPUTS = [
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
  'api-url',
  'region',
  'image-tag',
] as const;

/** Inputs passed as a bare `--<name>` flag when `true`. */
const FLAG_INPUTS = ['force', 'via-service', 'require-ready'] as const;

/** The commands the action runs. */
const ACTION_COMMANDS = ['rollback', 'plan', 'gate', 'hold', 'release'];

/** An input as the runner sets it; '' when not given and without a default. */
export function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

class InputError extends Error {}

function yes(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = input(env, name).toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new InputError(`input ${name} must be true or false, got "${input(env, name)}"`);
}

/** The CLI's arguments for the action's inputs. */
export function actionArgs(env: NodeJS.ProcessEnv): string[] {
  const command = input(env, 'command') || 'rollback';
  if (!ACTION_COMMANDS.includes(command)) {
    throw new InputError(`input command must be one of ${ACTION_COMMANDS.join(', ')}, got "${command}"`);
  }
  const args: string[] = [command];
  for (const name of VALUE_INPUTS) {
    const value = input(env, name);
    if (value) args.push(`--${name}`, value);
  }
  for (const name of FLAG_INPUTS) if (yes(env, name)) args.push(`--${name}`);
  // Nobody can answer a prompt on a runner: the workflow that runs the action has decided.
  if (command === 'rollback') args.push('--yes');
  return args;
}

const field = (value: unknown, ...path: string[]): string => {
  let at: unknown = value;
  for (const key of path) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return typeof at === 'string' ? at : '';
};

/**
 * The action's outputs from the CLI's report: the local rollback's report (`target`,
 * `record`), or a rollback run the service carries out (`run`, with `redeploy.deploymentId`).
 */
export function actionOutputs(report: Report | undefined, exitCode: number): Record<string, string> {
  const run = report && typeof report.run === 'object' ? report.run : undefined;
  return {
    'target-tag': field(report, 'target', 'imageTag') || field(run, 'target', 'imageTag'),
    'redeploy-id':
      field(report, 'record', 'id') ||
      field(report, 'redeploy', 'deploymentId') ||
      field(run, 'redeploy', 'deploymentId'),
    'run-id': field(run, 'id') || field(report, 'runId'),
    'current-tag': field(report, 'current', 'imageTag') || field(run, 'current', 'imageTag'),
    'exit-code': String(exitCode),
    allowed: report && typeof report.allowed === 'boolean' ? String(report.allowed) : '',
  };
}

/** `name=value` lines, or the heredoc form GitHub documents for a value with a line break. */
function outputLines(outputs: Record<string, string>): string {
  return Object.entries(outputs)
    .map(([name, value]) => {
      if (!/[\r\n]/.test(value)) return `${name}=${value}\n`;
      const delimiter = `platform_rollback_${Math.random().toString(36).slice(2)}`;
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/** The commands the action runs (action.yml's `command` input). */
const COMMANDS = new Set(['rollback', 'plan']);

/**
 * Runs the action with the runner's environment; returns the CLI's exit code (the step
 * fails on anything but 0). A failure is also written as an `::error::` annotation, escaped as
 * workflow commands require. Outputs and the step summary are written on every exit.
 */
export async function runAction(env: NodeJS.ProcessEnv = process.env, overrides: Partial<CliDeps> = {}) {
  const requested = input(env, 'command') || 'rollback';
  const command = COMMANDS.has(requested) ? requested : undefined;
  let report: Report | undefined;
  let code = 1;
  try {
    let args: string[];
    try {
      args = actionArgs(env);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      report = { ok: false, exitCode: 1, error: { title: 'Input error', detail: error.message } };
      process.stdout.write(workflowCommand('error', error.message, { title: 'platform-rollback' }));
      return code;
    }
    code = await main(args, {
      env,
      confirm: undefined,
      onResult: (value) => {
        report = value as Report;
      },
      ...overrides,
    });
    const message = field(report, 'message') || field(report, 'error', 'detail');
    if (code !== 0) {
      process.stdout.write(workflowCommand('error', message || `exit code ${code}`, { title: 'platform-rollback' }));
    }
    return code;
  } finally {
    if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, outputLines(actionOutputs(report, code)));
    if (env.GITHUB_STEP_SUMMARY)
      appendFileSync(env.GITHUB_STEP_SUMMARY, stepSummary(report, { command, exitCode: code }));
  }
}
