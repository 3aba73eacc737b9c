/**
 * The CLI against local mode: the real local API (real handlers, DynamoDB Local) in this
 * process, a tiny health endpoint, and real deploy commands run with sh -c.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.js';
import { type CliDeps, main } from '../../cli/main.js';
import { idempotencyKeyFor, type RollbackReport, redeployRecord } from '../../cli/rollback.js';
import type { Deployment } from '../../functions/core/deployment.js';
import { BASE, localApi } from '../support/http.js';

const DIGEST = `sha256:${'4f1c'.repeat(16)}`;
const GOOD = 'v2.0.0-def5678';
const BAD = 'v2.1.0-abc1234';

let api: Awaited<ReturnType<typeof localApi>>;
let health: Server;
let healthBase: string;
const hits = new Map<string, number>();
const tmp = mkdtempSync(join(tmpdir(), 'cli-rollback-'));

beforeAll(async () => {
  api = await localApi();
  // /ok-after/<key>/<n>: 503 for the first n polls, then 200. /never/<key>: always 503.
  health = createServer((request, response) => {
    const [, kind, key = '', n = '0'] = (request.url ?? '').split('/');
    const count = (hits.get(key) ?? 0) + 1;
    hits.set(key, count);
    const healthy = kind === 'ok-after' && count > Number(n);
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
    response.end(healthy ? 'ok' : 'starting');
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const address = health.address();
  healthBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  health?.closeAllConnections();
  await new Promise((resolve) => health?.close(resolve));
  await api?.stop();
});

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

/** The seed's example in a fresh environment: a good v2.0.0, then the bad v2.1.0 on top. */
async function seed(environment: string, badMigrations: unknown[] = []) {
  const good = await api.call('POST', BASE, {
    environment,
    imageTag: GOOD,
    imageDigest: DIGEST,
    version: 'v2.0.0',
    commitSha: 'def5678',
    notes: 'Stable release',
    deployedAt: hoursAgo(2),
  });
  const bad = await api.call('POST', BASE, {
    environment,
    imageTag: BAD,
    version: 'v2.1.0',
    commitSha: 'abc1234',
    notes: 'Adds the invoices view',
    migrations: badMigrations,
    deployedAt: hoursAgo(1),
  });
  expect([good.status, bad.status]).toEqual([201, 201]);
  return { good: good.body as Deployment, bad: bad.body as Deployment };
}

async function history(environment: string): Promise<Deployment[]> {
  const page = await api.call('GET', `${BASE}/history?environment=${environment}&limit=100`);
  return page.body.items;
}

const rows = (items: Deployment[]) => items.map((d) => [d.imageTag, d.status, d.rollbackOf]);

/** main() in this process, its output captured. */
async function cli(args: string[], env: Record<string, string> = {}, overrides: Partial<CliDeps> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url, ...env },
    confirm: undefined,
    ...overrides,
  });
  const report = args.includes('--json') ? (JSON.parse(stdout) as RollbackReport) : undefined;
  return { code, stdout, stderr, report };
}

const fast = ['--health-interval', '20ms', '--health-timeout', '3s', '--yes'];

describe('platform-rollback rollback (local mode)', () => {
  // The TypeScript entry (through tsx, as in development) and the built one-file command
  // (dist/platform-rollback.mjs, plain node: what `npx platform-rollback` and the action run).
  it.each([
    { entry: 'the TypeScript entry', argv: ['--import', 'tsx', 'cli/entry.ts'], environment: 'prod' },
    { entry: 'the built file', argv: ['dist/platform-rollback.mjs'], environment: 'prod-built' },
  ])(
    'as a real child process ($entry): five steps, the deploy gets the target, health turns healthy, history as API.md',
    async ({ argv, environment }) => {
      const { good, bad } = await seed(environment);
      const envFile = join(tmp, `deploy-env-${environment}.txt`);
      const deploy = `echo "deploying $IMAGE_TAG to $ENVIRONMENT"; printf '%s|%s|%s|%s|%s' "$IMAGE_TAG" "$ENVIRONMENT" "$TARGET_DEPLOYMENT_ID" "$TARGET_VERSION" "$TARGET_IMAGE_DIGEST" > ${envFile}`;
      const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url };
      // The bin must silence the SDK's Node.js notice by itself.
      delete env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING;
      delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      const child = spawn(
        process.execPath,
        [
          ...argv,
          'rollback',
          '--environment',
          environment,
          '--reason',
          'p99 latency alarm',
          '--deploy-command',
          deploy,
          '--health-url',
          `${healthBase}/ok-after/${environment}/2`,
          '--health-successes',
          '3',
          ...fast,
          '--json',
        ],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const [code] = await once(child, 'exit');

      expect(stderr).not.toMatch(/NodeVersionSupportWarning|\n\s+at /);
      expect(code).toBe(0);
      expect(stderr).toContain(`deploying ${GOOD} to ${environment}`); // streamed, and kept off stdout in --json mode
      const report = JSON.parse(stdout) as RollbackReport;
      expect(report).toMatchObject({ ok: true, exitCode: 0, command: 'rollback' });
      expect(report.steps.map((s) => [s.step, s.status])).toEqual([
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
        [4, 'ok'],
        [5, 'ok'],
      ]);
      expect(report.checks.map((c) => [c.id, c.status])).toEqual([
        ['target-record', 'passed'],
        ['container-image', 'skipped'],
        ['deployment-notes', 'passed'],
        ['migrations', 'passed'],
      ]);
      expect(report.between.map((d) => d.id)).toEqual([bad.id]);
      expect(readFileSync(envFile, 'utf8')).toBe(`${GOOD}|${environment}|${good.id}|v2.0.0|${DIGEST}`);
      expect(report.health).toMatchObject({ healthy: true, attempts: 5, consecutive: 3 });
      expect(hits.get(environment)).toBe(5);

      const after = await history(environment);
      expect(rows(after)).toEqual([
        [GOOD, 'DEPLOYED', bad.id],
        [BAD, 'ROLLED_BACK', null],
        [GOOD, 'DEPLOYED', null],
      ]);
      const [redeploy, undone] = after;
      expect(redeploy).toMatchObject({
        id: report.record?.id,
        imageDigest: DIGEST,
        version: 'v2.0.0',
        commitSha: 'def5678',
        deployedBy: 'local',
      });
      expect(redeploy?.notes).toContain(`Rollback of ${BAD}`);
      expect(undone).toMatchObject({ rollbackReason: 'p99 latency alarm', rolledBackBy: 'local' });
    },
  );

  it('a retried record step (same key, same body) records once', async () => {
    const { good, bad } = await seed('retry');
    const client = new ApiClient({ baseUrl: api.url, sign: false });
    const input = redeployRecord('retry', bad, good, { reason: 'x' });
    const first = await client.record(input, idempotencyKeyFor(bad, good));
    const second = await client.record(
      redeployRecord('retry', bad, good, { reason: 'x' }),
      idempotencyKeyFor(bad, good),
    );
    expect(second.id).toBe(first.id);
    expect(await history('retry')).toHaveLength(3);
  });

  it('prints one line per step with ✓ and a duration, and a summary, for a person', async () => {
    await seed('human');
    const run = await cli([
      'rollback',
      '-e',
      'human',
      '--deploy-command',
      'echo deployed',
      '--health-url',
      `${healthBase}/ok-after/human/0`,
      ...fast,
    ]);
    expect(run.code).toBe(0);
    const steps = run.stdout.split('\n').filter((l) => /^[✓✗–] \d\/5/.test(l));
    expect(steps).toHaveLength(5);
    for (const l of steps) expect(l).toMatch(/^✓ \d\/5 .+ {2}\(\d+\.\d+s\)$/);
    // The platform process's numbering; the safety checks sit between steps 1 and 2, unnumbered.
    expect(steps.map((l) => l.replace(/^✓ (\d\/5 [^:]+):.*$/, '$1'))).toEqual([
      '1/5 identify the target',
      '2/5 mark the current deployment ROLLED_BACK',
      '3/5 deploy the target',
      '4/5 record the new deployment',
      '5/5 verify health',
    ]);
    const lines = run.stdout.split('\n');
    const checks = lines.findIndex((l) => l.startsWith('✓ checks: 3 passed, 1 skipped'));
    expect(checks).toBeGreaterThan(lines.findIndex((l) => l.startsWith('✓ 1/5')));
    expect(checks).toBeLessThan(lines.findIndex((l) => l.startsWith('✓ 2/5')));
    expect(run.stdout).toContain('deployed\n');
    expect(run.stdout).toMatch(/✓ human runs v2\.0\.0-def5678 again \(rollback of v2\.1\.0-abc1234\), healthy/);
  });

  it('a failing deploy command: exit 3, nothing recorded; the same command again resumes and finishes', async () => {
    const { good, bad } = await seed('deployfail');
    const failed = await cli([
      'rollback',
      '-e',
      'deployfail',
      '--deploy-command',
      'echo "kubectl: image pull failed" >&2; exit 7',
      '--json',
      ...fast,
    ]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('kubectl: image pull failed');
    expect(failed.report?.steps.at(-1)).toMatchObject({ step: 3, name: 'deploy the target', status: 'failed' });
    expect(failed.report?.message).toContain('exited with 7');
    expect(failed.report?.record).toBeNull();
    expect(rows(await history('deployfail'))).toEqual([
      [BAD, 'ROLLED_BACK', null],
      [GOOD, 'DEPLOYED', null],
    ]);

    const resumed = await cli(['rollback', '-e', 'deployfail', '--deploy-command', 'true', '--json', ...fast]);
    expect(resumed.code).toBe(0);
    expect(resumed.report?.steps[1]?.detail).toContain('already ROLLED_BACK');
    expect(resumed.report?.target?.id).toBe(good.id);
    expect(rows(await history('deployfail'))).toEqual([
      [GOOD, 'DEPLOYED', bad.id],
      [BAD, 'ROLLED_BACK', null],
      [GOOD, 'DEPLOYED', null],
    ]);
  });

  it('a health URL that never turns healthy: exit 4 with a clear message, the redeploy stays recorded', async () => {
    const { bad } = await seed('unhealthy');
    const run = await cli([
      'rollback',
      '-e',
      'unhealthy',
      '--deploy-command',
      'true',
      '--health-url',
      `${healthBase}/never/unhealthy`,
      '--health-interval',
      '50ms',
      '--health-timeout',
      // Each attempt waits for its answer under its own bound (cli/health.ts), so however loaded
      // the machine, the message names the server's 503; no wall time is asserted.
      '1500ms',
      '--yes',
    ]);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(
      /✗ Unhealthy after rollback: .*never\/unhealthy did not answer 2xx 3 times in a row.*HTTP 503/,
    );
    expect(rows(await history('unhealthy'))[0]).toEqual([GOOD, 'DEPLOYED', bad.id]);
  });

  it('plan (and rollback --dry-run) changes nothing, and shows current, target, checks and steps', async () => {
    const { good, bad } = await seed('plan');
    const before = await history('plan');
    const plan = await cli(['plan', '-e', 'plan', '--json']);
    const dry = await cli(['rollback', '-e', 'plan', '--dry-run']);
    expect(await history('plan')).toEqual(before);
    expect([plan.code, dry.code]).toEqual([0, 0]);
    expect(plan.report).toMatchObject({ command: 'plan', current: { id: bad.id }, target: { id: good.id } });
    expect(plan.report?.steps.map((s) => s.status)).toEqual(['ok', 'planned', 'planned', 'planned', 'planned']);
    expect(dry.stdout).toContain('Adds the invoices view'); // the notes of what would be undone
    expect(dry.stdout).toContain(`· 2/5 mark the current deployment ROLLED_BACK: mark ${BAD}`);
    expect(dry.stdout).toContain(`· 4/5 record the new deployment: record ${GOOD} with rollbackOf ${bad.id}`);
  });

  it('an irreversible migration blocks (exit 2, nothing changed); --force with a reason passes it', async () => {
    await seed('migrate', [
      { id: '0042_add_invoice_index', reversible: true },
      { id: '0043_drop_legacy_totals', reversible: false, description: 'drops invoices.legacy_total' },
    ]);
    const before = await history('migrate');
    const blocked = await cli(['rollback', '-e', 'migrate', '--deploy-command', 'true', ...fast]);
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toContain('✗ migrations: 1 irreversible migration(s)');
    expect(blocked.stdout).toContain('0043_drop_legacy_totals');
    expect(blocked.stdout).toContain('drops invoices.legacy_total');
    expect(blocked.stdout).toContain('nothing was changed');
    expect(await history('migrate')).toEqual(before);

    const noReason = await cli(['rollback', '-e', 'migrate', '--deploy-command', 'true', '--force', ...fast]);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('--force needs --reason');

    const reason = 'legacy_total restored from backup by hand';
    const forced = await cli([
      'rollback',
      '-e',
      'migrate',
      '--deploy-command',
      'true',
      '--force',
      '--reason',
      reason,
      '--json',
      ...fast,
    ]);
    expect(forced.code).toBe(0);
    expect(forced.report?.forced).toEqual({ reason, overridden: ['migrations'] });
    const after = await history('migrate');
    expect(after[1]).toMatchObject({ imageTag: BAD, status: 'ROLLED_BACK', rollbackReason: reason });
    expect(after[0]?.notes).toContain(reason);
  });

  it('--to picks an older target; every deployment in between is shown; an unknown tag is a failed check', async () => {
    await seed('pick');
    const v3 = await api.call('POST', BASE, { environment: 'pick', imageTag: 'v3', notes: 'third' });
    const plan = await cli(['plan', '-e', 'pick', '--to', GOOD, '--json']);
    expect(plan.code).toBe(0);
    expect(plan.report?.between.map((d) => d.imageTag)).toEqual(['v3', BAD]);
    expect(plan.report?.current?.id).toBe(v3.body.id);

    const unknown = await cli(['rollback', '-e', 'pick', '--to', 'v0.0.1', '--deploy-command', 'true', ...fast]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain('✗ target record exists: no record of v0.0.1 in pick');
  });

  it("an API error shows the problem's title and detail, never a stack trace (exit 1)", async () => {
    const run = await cli(['rollback', '-e', 'empty', '--deploy-command', 'true', ...fast]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Not found: No deployments in empty.');
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/\n\s+at /);
    const json = await cli(['target', '-e', 'empty', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { title: 'Not found', status: 404 } });
  });
});

describe('the container image check against an ECR endpoint (a fake one on this machine)', () => {
  let ecr: Server;
  let ecrUrl: string;
  let digest = DIGEST;
  const asked: unknown[] = [];

  beforeAll(async () => {
    // Speaks the ECR JSON protocol for DescribeImages, like the real service.
    ecr = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      asked.push({
        target: request.headers['x-amz-target'],
        body: JSON.parse(body),
        signed: !!request.headers.authorization,
      });
      const { imageIds } = JSON.parse(body) as { imageIds: { imageTag: string }[] };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ imageDetails: [{ imageDigest: digest, imageTags: [imageIds[0]?.imageTag] }] }));
    });
    await new Promise<void>((resolve) => ecr.listen(0, '127.0.0.1', resolve));
    const address = ecr.address();
    ecrUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    ecr?.closeAllConnections();
    await new Promise((resolve) => ecr?.close(resolve));
  });

  it('as a child process: the real ECR client asks for the target tag; same digest passes, no SDK notice', async () => {
    await seed('ecr');
    const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url, AWS_ENDPOINT_URL_ECR: ecrUrl };
    delete env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING;
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const child = spawn(
      process.execPath,
      ['dist/platform-rollback.mjs', 'plan', '-e', 'ecr', '--ecr-repository', 'team/app', '--json'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const [code] = await once(child, 'exit');
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RollbackReport;
    expect(report.checks.find((c) => c.id === 'container-image')).toMatchObject({ status: 'passed' });
    expect(asked.at(-1)).toEqual({
      target: 'AmazonEC2ContainerRegistry_V20150921.DescribeImages',
      body: { repositoryName: 'team/app', imageIds: [{ imageTag: GOOD }] },
      signed: true,
    });
  });

  it('a tag that now points at another image blocks the rollback (exit 2)', async () => {
    await seed('ecr-moved');
    digest = `sha256:${'9'.repeat(64)}`;
    const run = await cli(
      ['rollback', '-e', 'ecr-moved', '--ecr-repository', 'team/app', '--deploy-command', 'true', ...fast],
      {},
      { ecrClient: (region) => new ECRClient({ region, endpoint: ecrUrl }) },
    );
    digest = DIGEST;
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`✗ container image: team/app:${GOOD} now points at sha256:9999`);
  });
});

describe('the thin commands', () => {
  it('record, history, target, exists and mark-rolled-back each call their route', async () => {
    const recordV1 = [
      'record',
      '-e',
      'thin',
      '--image-tag',
      'v1',
      '--notes',
      'first',
      '--migrations',
      '[{"id":"0001_init","reversible":false}]',
      '--idempotency-key',
      'thin-v1',
      '--json',
    ];
    const recorded = await cli(recordV1);
    expect(recorded.code).toBe(0);
    const first = JSON.parse(recorded.stdout) as Deployment;
    expect(first).toMatchObject({
      imageTag: 'v1',
      notes: 'first',
      migrations: [{ id: '0001_init', reversible: false }],
    });
    const again = await cli(recordV1);
    expect((JSON.parse(again.stdout) as Deployment).id).toBe(first.id);
    await cli(['record', '-e', 'thin', '--image-tag', 'v2']);

    const listed = await cli(['history', '-e', 'thin', '--json']);
    expect(JSON.parse(listed.stdout).items.map((d: Deployment) => d.imageTag)).toEqual(['v2', 'v1']);
    const human = await cli(['history', '-e', 'thin']);
    expect(human.stdout.split('\n').filter(Boolean)).toHaveLength(2);

    const target = await cli(['target', '-e', 'thin', '--json']);
    expect(JSON.parse(target.stdout)).toMatchObject({ current: { imageTag: 'v2' }, target: { id: first.id } });
    const exists = await cli(['exists', 'v1', '--json']);
    expect(JSON.parse(exists.stdout)).toEqual({ imageTag: 'v1', exists: true, environments: ['thin'] });

    const marked = await cli(['mark-rolled-back', 'v2', '-e', 'thin', '--reason', 'bad', '--json']);
    expect(JSON.parse(marked.stdout)).toMatchObject({ imageTag: 'v2', status: 'ROLLED_BACK', rollbackReason: 'bad' });
    const twice = await cli(['mark-rolled-back', 'v2', '-e', 'thin']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('Status transition not allowed');
  });
});
