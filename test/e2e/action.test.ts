/**
 * The GitHub Action as the runner runs it: `node dist/action.mjs` (action.yml's main) with the
 * `INPUT_*` environment GitHub sets (every input with a default is set, hyphens kept in the
 * name) and a GITHUB_OUTPUT file, against local mode.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionArgs, actionOutputs } from '../../cli/action.js';
import type { Deployment } from '../../functions/core/deployment.js';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
const tmp = mkdtempSync(join(tmpdir(), 'action-'));

beforeAll(async () => {
  api = await localApi();
});
afterAll(async () => {
  await api?.stop();
});

/** The inputs action.yml gives a default, as the runner sets them when a workflow omits them. */
const DEFAULTS = {
  INPUT_COMMAND: 'rollback',
  INPUT_FORCE: 'false',
  'INPUT_VIA-SERVICE': 'false',
  'INPUT_REQUIRE-READY': 'false',
};

async function seed(environment: string) {
  const good = await api.call('POST', BASE, { environment, imageTag: 'v1.0.0', notes: 'good' });
  const bad = await api.call('POST', BASE, { environment, imageTag: 'v1.1.0', notes: 'bad' });
  expect([good.status, bad.status]).toEqual([201, 201]);
  return { good: good.body as Deployment, bad: bad.body as Deployment };
}

/** Runs the built action entry as the runner would; returns its exit code, log and outputs. */
async function runAction(environment: string, inputs: Record<string, string>) {
  const outputFile = join(tmp, `output-${environment}-${Date.now()}`);
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_RUN_ID: '4242',
    ...DEFAULTS,
    'INPUT_API-URL': api.url,
    INPUT_ENVIRONMENT: environment,
    ...inputs,
  };
  const child = spawn(process.execPath, ['dist/action.mjs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const [code] = await once(child, 'exit');
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
  return { code, log, outputs };
}

async function history(environment: string): Promise<Deployment[]> {
  return (await api.call('GET', `${BASE}/history?environment=${environment}&limit=100`)).body.items;
}

describe('the GitHub Action (dist/action.mjs with INPUT_* variables)', () => {
  it('gate: allowed true and exit 0, or allowed false, exit 5 and each reason; hold and release', async () => {
    await seed('act-gate');
    const open = await runAction('act-gate', { INPUT_COMMAND: 'gate', 'INPUT_IMAGE-TAG': 'v1.2.0' });
    expect(open.code).toBe(0);
    expect(open.outputs).toMatchObject({ allowed: 'true', 'exit-code': '0' });
    const held = await runAction('act-gate', { INPUT_COMMAND: 'hold', INPUT_REASON: 'release freeze' });
    expect(held.code).toBe(0);
    expect(held.outputs.allowed).toBe('');
    const closed = await runAction('act-gate', { INPUT_COMMAND: 'gate', 'INPUT_IMAGE-TAG': 'v1.2.0' });
    expect(closed.code).toBe(5);
    expect(closed.outputs).toMatchObject({ allowed: 'false', 'exit-code': '5' });
    expect(closed.log).toContain('hold: act-gate is held since');
    expect(closed.log).toContain('release freeze');
    const released = await runAction('act-gate', { INPUT_COMMAND: 'release', INPUT_REASON: 'freeze over' });
    expect(released.code).toBe(0);
    const ready = await runAction('act-gate', {
      INPUT_COMMAND: 'gate',
      'INPUT_IMAGE-TAG': 'v1.2.0',
      'INPUT_REQUIRE-READY': 'true',
    });
    expect(ready.code).toBe(5);
    expect(ready.log).toContain('readiness: readiness not yet checked in act-gate');
  });

  it('rollback: runs the five steps, writes target tag and redeploy id, links the run', async () => {
    const { good, bad } = await seed('act');
    const run = await runAction('act', {
      INPUT_REASON: 'p99 alarm',
      'INPUT_DEPLOY-COMMAND': 'echo "deploying $IMAGE_TAG to $ENVIRONMENT"',
    });
    expect(run.log).toContain('deploying v1.0.0 to act');
    expect(run.log).toContain('✓ 4/5 record the new deployment');
    expect(run.log).toContain('– 5/5 verify health: no --health-url given');
    expect(run.code).toBe(0);
    const after = await history('act');
    expect(after.map((d) => [d.imageTag, d.status, d.rollbackOf])).toEqual([
      ['v1.0.0', 'DEPLOYED', bad.id],
      ['v1.1.0', 'ROLLED_BACK', null],
      ['v1.0.0', 'DEPLOYED', null],
    ]);
    expect(after[0]?.pipelineRunUrl).toBe('https://github.com/acme/shop/actions/runs/4242');
    expect(after[1]?.rollbackReason).toBe('p99 alarm');
    expect(run.outputs).toEqual({
      'target-tag': good.imageTag,
      'redeploy-id': after[0]?.id,
      'run-id': '',
      'current-tag': bad.imageTag,
      'exit-code': '0',
      allowed: '',
    });
  });

  it('plan: changes nothing, names the target, no redeploy id', async () => {
    const { good } = await seed('act-plan');
    const before = await history('act-plan');
    const run = await runAction('act-plan', { INPUT_COMMAND: 'plan' });
    expect(run.code).toBe(0);
    expect(run.log).toContain('· 2/5 mark the current deployment ROLLED_BACK');
    expect(await history('act-plan')).toEqual(before);
    expect(run.outputs).toMatchObject({ 'target-tag': good.imageTag, 'redeploy-id': '', 'exit-code': '0' });
  });

  it('a failed rollback fails the step with an ::error:: annotation and its exit code', async () => {
    await seed('act-fail');
    const run = await runAction('act-fail', { 'INPUT_DEPLOY-COMMAND': 'exit 9' });
    expect(run.code).toBe(3);
    expect(run.log).toMatch(/::error title=platform-rollback::Deploy of v1\.0\.0 failed \(exited with 9\)/);
    expect(run.outputs).toMatchObject({ 'target-tag': 'v1.0.0', 'redeploy-id': '', 'exit-code': '3' });
  });

  it('a bad input is an ::error:: and exit 1, before anything is asked of the API', async () => {
    const run = await runAction('act-bad', { INPUT_COMMAND: 'destroy' });
    expect(run.code).toBe(1);
    expect(run.log).toContain(
      '::error title=platform-rollback::input command must be one of rollback, plan, gate, hold, release, got "destroy"',
    );
    expect(run.outputs['exit-code']).toBe('1');
  });
});

describe('inputs to flags, outputs from the report', () => {
  it('passes every non-empty input as its flag, true booleans as bare flags, and --yes for rollback', () => {
    expect(
      actionArgs({
        ...DEFAULTS,
        INPUT_ENVIRONMENT: 'prod',
        INPUT_TO: 'v1',
        'INPUT_HEALTH-URL': 'https://app/health',
        'INPUT_VIA-SERVICE': 'true',
        INPUT_REGION: ' eu-west-1 ',
        INPUT_REASON: '',
      }),
    ).toEqual([
      'rollback',
      '--environment',
      'prod',
      '--to',
      'v1',
      '--health-url',
      'https://app/health',
      '--region',
      'eu-west-1',
      '--via-service',
      '--yes',
    ]);
    expect(actionArgs({ INPUT_COMMAND: 'plan', INPUT_ENVIRONMENT: 'prod' })).toEqual(['plan', '--environment', 'prod']);
    expect(() => actionArgs({ INPUT_FORCE: 'yes' })).toThrow('input force must be true or false, got "yes"');
  });

  it('reads the run id and redeploy id of a rollback run the service carries out', () => {
    const run = {
      id: '01JDRUN',
      current: { imageTag: 'v2' },
      target: { imageTag: 'v1' },
      redeploy: { deploymentId: '01JEREC' },
    };
    expect(actionOutputs({ run }, 0)).toEqual({
      'target-tag': 'v1',
      'redeploy-id': '01JEREC',
      'run-id': '01JDRUN',
      'current-tag': 'v2',
      'exit-code': '0',
      allowed: '',
    });
    expect(actionOutputs(undefined, 1)).toMatchObject({ 'target-tag': '', 'exit-code': '1' });
  });
});
