/**
 * The GitHub Action run by GitHub's own `@github/local-action` (its `run` command: it reads
 * action.yml, loads the inputs from a dotenv file, imports dist/action.mjs and calls its `run`),
 * against local mode: the outputs on every exit, the step summary, and escaped annotations.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../functions/core/deployment.js';
import { BASE, localApi } from '../support/http.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The package's own bin (it exports no package.json to resolve). */
const LOCAL_ACTION = join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

let api: Awaited<ReturnType<typeof localApi>>;
const tmp = mkdtempSync(join(tmpdir(), 'local-action-'));

beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => {
  await api?.stop();
});

async function seed(environment: string) {
  const good = await api.call('POST', BASE, { environment, imageTag: 'v1.0.0', notes: 'good' });
  const bad = await api.call('POST', BASE, { environment, imageTag: 'v1.1.0', notes: 'bad' });
  expect([good.status, bad.status]).toEqual([201, 201]);
  return { good: good.body as Deployment, bad: bad.body as Deployment };
}

/** `name=value` lines (and GitHub's heredoc form) of an output file. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([\w-]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2] as string, i + 1);
      outputs[heredoc[1] as string] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      const [name, ...value] = line.split('=');
      outputs[name as string] = value.join('=');
    }
  }
  return outputs;
}

/** Runs the action with local-action; the inputs go in its dotenv file, as its docs have it. */
async function localAction(name: string, inputs: Record<string, string>) {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const files = { output: join(dir, 'output'), summary: join(dir, 'summary.md'), env: join(dir, '.env') };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const env = {
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4242',
    // What the runner sets for the inputs action.yml gives a default.
    INPUT_COMMAND: 'rollback',
    INPUT_FORCE: 'false',
    'INPUT_VIA-SERVICE': 'false',
    'INPUT_API-URL': api.url,
    ...inputs,
  };
  writeFileSync(
    files.env,
    Object.entries(env)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join('\n'),
  );
  const child = spawn(process.execPath, [LOCAL_ACTION, 'run', ROOT, 'dist/action.mjs', files.env], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const [code] = await once(child, 'exit');
  return { code, log, outputs: readOutputs(files.output), summary: readFileSync(files.summary, 'utf8') };
}

// Each run starts local-action (tsx, npm ls) afresh: seconds of start-up on a busy machine.
describe('the Action under @github/local-action', { timeout: 180_000 }, () => {
  it('rollback: the five steps run, the outputs are set and the summary says what happened', async () => {
    const { good, bad } = await seed('la');
    const run = await localAction('rollback', {
      INPUT_ENVIRONMENT: 'la',
      INPUT_REASON: 'p99 alarm',
      'INPUT_DEPLOY-COMMAND': 'echo "deploying $IMAGE_TAG"',
    });
    expect(run.log).toContain('deploying v1.0.0');
    expect(run.code, run.log).toBe(0);
    const redeploy = (await api.call('GET', `${BASE}/tag/v1.0.0?environment=la`)).body as Deployment;
    expect(redeploy.rollbackOf).toBe(bad.id);
    expect(run.outputs).toEqual({
      allowed: '', // the gate's output, empty for other commands
      'target-tag': good.imageTag,
      'redeploy-id': redeploy.id,
      'run-id': '',
      'current-tag': bad.imageTag,
      'exit-code': '0',
    });
    expect(run.summary).toContain('### platform-rollback rollback: la');
    expect(run.summary).toContain('(exit code 0: done)');
    expect(run.summary).toContain(`| current (rolled back) | \`v1.1.0\` (\`${bad.id}\`) |`);
    expect(run.summary).toContain(`| target | \`v1.0.0\` (\`${good.id}\`) |`);
    expect(run.summary).toContain(`| redeploy record | \`${redeploy.id}\` (rollbackOf \`${bad.id}\`) |`);
    expect(run.summary).toContain(
      '| workflow run | [https://github.com/acme/shop/actions/runs/4242](https://github.com/acme/shop/actions/runs/4242) |',
    );
    for (const step of ['1 | identify the target', '2 | mark the current', '3 | deploy the target', '4 | record']) {
      expect(run.summary).toContain(`| ${step}`);
    }
    expect(run.summary).toMatch(/\| 5 \| verify health \| ➖ skipped \| no --health-url given/);
  });

  it('an input error still sets every output (exit-code 1) and writes the summary', async () => {
    const run = await localAction('input', { INPUT_ENVIRONMENT: 'la-bad', INPUT_COMMAND: 'destroy' });
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({
      allowed: '', // the gate's output, empty for other commands
      'target-tag': '',
      'redeploy-id': '',
      'run-id': '',
      'current-tag': '',
      'exit-code': '1',
    });
    expect(run.log).toContain(
      '::error title=platform-rollback::input command must be one of rollback, plan, gate, hold, release, got "destroy"',
    );
    expect(run.summary).toContain(
      '> Input error: input command must be one of rollback, plan, gate, hold, release, got "destroy"',
    );
  });

  it('an input with a line break and a % comes out escaped in the annotation, on one line', async () => {
    const run = await localAction('escape', { INPUT_ENVIRONMENT: 'la-bad', INPUT_FORCE: '100%\n::warning::forged' });
    expect(run.code).toBe(1);
    expect(run.log).toContain(
      '::error title=platform-rollback::input force must be true or false, got "100%25%0A::warning::forged"\n',
    );
    expect(run.log.split('\n').filter((line) => line.startsWith('::warning::'))).toEqual([]);
    expect(run.outputs['exit-code']).toBe('1');
  });

  it('a usage error from the CLI (no environment) sets exit-code 1 too', async () => {
    const run = await localAction('usage', { 'INPUT_DEPLOY-COMMAND': 'true' });
    expect(run.code).toBe(1);
    expect(run.outputs['exit-code']).toBe('1');
    expect(run.summary).toContain('❌ **Usage error**');
  });

  it('a failing deploy: one annotation line, its exit code in the output, and the summary shows where it stopped', async () => {
    await seed('la-fail');
    const run = await localAction('fail', {
      INPUT_ENVIRONMENT: 'la-fail',
      // A deploy command whose failure message the annotation carries: exit code 9.
      'INPUT_DEPLOY-COMMAND': 'exit 9',
    });
    expect(run.code).toBe(3);
    expect(run.outputs).toMatchObject({ 'target-tag': 'v1.0.0', 'redeploy-id': '', 'exit-code': '3' });
    const annotation = run.log.split('\n').find((l) => l.startsWith('::error'));
    expect(annotation).toMatch(/^::error title=platform-rollback::Deploy of v1\.0\.0 failed \(exited with 9\)/);
    expect(run.summary).toContain('| 3 | deploy the target | ❌ failed |');
    expect(run.summary).toContain('| 4 | record the new deployment | ⏸️ not reached |');
  });
});
