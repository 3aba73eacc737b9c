/**
 * `rollback --via-service`, `runs` and `run <id>` against local mode: the real local API with
 * rollback runs on (its workflow in the durable SDK's local runner, a `command` target).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { BASE, localApi } from '../support/http.js';

let api: Awaited<ReturnType<typeof localApi>>;
const tmp = mkdtempSync(join(tmpdir(), 'cli-runs-'));
const deployed = join(tmp, 'deployed.txt');

beforeAll(async () => {
  api = await localApi({
    redeployTargets: {
      prod: { via: 'command', command: `echo "$IMAGE_TAG" >> ${deployed}`, pollSeconds: 1 },
      broken: { via: 'command', command: 'exit 7', pollSeconds: 1 },
    },
  });
});
afterAll(async () => api?.stop());

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url },
    confirm: undefined,
  });
  return { code, stdout, stderr };
}

async function twoDeployments(environment: string) {
  await api.call('POST', BASE, { environment, imageTag: 'v1.0.0' });
  return (await api.call('POST', BASE, { environment, imageTag: 'v2.0.0' })).body;
}

describe('platform-rollback and rollback runs', () => {
  it('rollback --via-service starts a run, prints each step as it ends, and exits 0 when it SUCCEEDED', async () => {
    const bad = await twoDeployments('prod');
    const { code, stdout } = await cli([
      'rollback',
      '--via-service',
      '--environment',
      'prod',
      '--reason',
      '5xx after v2',
    ]);
    expect(code).toBe(0);
    // The process's five steps numbered as the local rollback numbers them; the checks before step 2, unnumbered.
    for (const line of ['✓ 1/5 identify', '✓ checks: ', '✓ 2/5 mark', '✓ 3/5 redeploy', '✓ 4/5 record', '5/5 verify']) {
      expect(stdout).toContain(line);
    }
    expect(stdout.indexOf('✓ checks: ')).toBeLessThan(stdout.indexOf('✓ 2/5 mark'));
    expect(stdout).not.toMatch(/\d\/6 /);
    expect(stdout).toMatch(/redeploy: via command/);
    expect(readFileSync(deployed, 'utf8').trim().split('\n')).toEqual(['v1.0.0']);
    const history = (await api.call('GET', `${BASE}/history?environment=prod`)).body.items;
    expect(history[0]).toMatchObject({ imageTag: 'v1.0.0', status: 'DEPLOYED', rollbackOf: bad.id });
    expect(history[1]).toMatchObject({ id: bad.id, status: 'ROLLED_BACK' });
  });

  it('--json reports the ended run; runs lists it; run <id> shows its steps', async () => {
    await twoDeployments('json');
    // No target configured for "json": a 409 the command reports with exit code 1.
    const refused = await cli(['rollback', '--via-service', '--environment', 'json', '--reason', 'x', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error.title).toBe('No redeploy target configured');

    const listed = await cli(['runs', '--environment', 'prod', '--json']);
    expect(listed.code).toBe(0);
    const [run] = JSON.parse(listed.stdout).items;
    expect(run).toMatchObject({ environment: 'prod', status: 'SUCCEEDED', reason: '5xx after v2' });

    const shown = await cli(['run', run.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`run ${run.id}  prod  SUCCEEDED`);
    expect(shown.stdout).toContain('5/5 verify');
    const unknown = await cli(['run', '01JDQ5T2M8W3K9Z4X7V6B1N0CE']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No rollback run/);
  });

  it('a run that fails at the redeploy exits 3 and names the step', async () => {
    await twoDeployments('broken');
    const { code, stdout } = await cli([
      'rollback',
      '--via-service',
      '--environment',
      'broken',
      '--reason',
      'x',
      '--json',
    ]);
    expect(code).toBe(3);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: false, exitCode: 3, viaService: true, run: { status: 'FAILED' } });
    expect(report.run.failure.step).toBe('redeploy');
  });

  it('--via-service needs a reason', async () => {
    const { code, stderr } = await cli(['rollback', '--via-service', '--environment', 'prod']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--reason/);
  });
});
