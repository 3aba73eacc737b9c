import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKeyFor, redeployRecord } from '../../cli/rollback.js';
import {
  blockingMigrations,
  deploymentsBetween,
  imageCheckResult,
  lookUpImage,
  migrationsCheck,
  notesCheck,
  parseRepository,
  safetyVerdict,
  targetRecordCheck,
} from '../../cli/safety.js';
import type { Deployment, Migration } from '../../functions/core/deployment.js';
import { deploymentFixture } from '../support/fixtures.js';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

const deployment = (imageTag: string, overrides: Partial<Deployment> = {}): Deployment =>
  deploymentFixture({ imageTag, ...overrides });

const migration = (id: string, reversible: boolean, description: string | null = null): Migration => ({
  id,
  reversible,
  description,
});

describe('deploymentsBetween', () => {
  const target = deployment('v1.0.0');
  const failed = deployment('v1.1.0', { status: 'FAILED', notes: 'broke the build' });
  const middle = deployment('v1.2.0', { notes: 'adds invoices' });
  const current = deployment('v1.3.0');
  const history = [current, middle, failed, target, deployment('v0.9.0')];

  it('holds the current deployment and everything down to the target, newest first, target excluded', () => {
    expect(deploymentsBetween(history, current, target)).toEqual({
      between: [current, middle, failed],
      reachedTarget: true,
    });
  });

  it('leaves out records newer than the current one', () => {
    const newer = deployment('v1.4.0');
    expect(deploymentsBetween([newer, ...history], current, target).between.map((d) => d.imageTag)).toEqual([
      'v1.3.0',
      'v1.2.0',
      'v1.1.0',
    ]);
  });

  it('says so when the history given ends before the target (read another page)', () => {
    expect(deploymentsBetween([current, middle], current, target)).toEqual({
      between: [current, middle],
      reachedTarget: false,
    });
  });
});

describe('migrations', () => {
  const current = deployment('v2', {
    migrations: [migration('0043_drop_column', false, 'drops legacy_total'), migration('0044_index', true)],
  });
  const middle = deployment('v1.5', { status: 'ROLLED_BACK', migrations: [migration('0042_rename', false)] });
  const harmless = deployment('v1.4', { migrations: [migration('0041_add', true)] });

  it('blocks on every irreversible migration of the deployments undone, whatever their status', () => {
    expect(blockingMigrations([current, middle, harmless])).toEqual([
      { deploymentId: current.id, imageTag: 'v2', id: '0043_drop_column', description: 'drops legacy_total' },
      { deploymentId: middle.id, imageTag: 'v1.5', id: '0042_rename', description: null },
    ]);
    const result = migrationsCheck([current, middle, harmless]);
    expect(result.status).toBe('failed');
    expect(result.items).toEqual([
      `0043_drop_column (on v2, ${current.id}): drops legacy_total`,
      `0042_rename (on v1.5, ${middle.id})`,
    ]);
  });

  it('passes when all are reversible, and when there are none', () => {
    expect(migrationsCheck([harmless])).toMatchObject({ status: 'passed', detail: '1 migration(s), all reversible' });
    expect(migrationsCheck([deployment('v3')])).toMatchObject({ status: 'passed', detail: 'no migrations recorded' });
  });
});

describe('targetRecordCheck and notesCheck', () => {
  const target = deployment('v1.0.0');

  it('passes for a DEPLOYED record the exists route knows in the environment', () => {
    const answer = { imageTag: 'v1.0.0', exists: true, environments: ['prod'] };
    expect(targetRecordCheck(answer, target, 'prod').status).toBe('passed');
  });

  it('fails when the exists route has no record there, or the record is not a good deployment', () => {
    expect(targetRecordCheck({ imageTag: 'v1.0.0', exists: false, environments: [] }, target, 'prod').status).toBe(
      'failed',
    );
    expect(
      targetRecordCheck({ imageTag: 'v1.0.0', exists: true, environments: ['staging'] }, target, 'prod').status,
    ).toBe('failed');
    const bad = deployment('v1.0.0', { status: 'ROLLED_BACK' });
    const answer = { imageTag: 'v1.0.0', exists: true, environments: ['prod'] };
    expect(targetRecordCheck(answer, bad, 'prod')).toMatchObject({ status: 'failed' });
    expect(targetRecordCheck(answer, bad, 'prod').detail).toContain('ROLLED_BACK');
  });

  it('shows the notes of each deployment undone, and fails when the target was never reached', () => {
    const d = deployment('v2', { notes: 'Adds the invoices view' });
    const shown = notesCheck([d, deployment('v1.9')], true, target);
    expect(shown.status).toBe('passed');
    expect(shown.items[0]).toContain('Adds the invoices view');
    expect(shown.items[1]).toContain('(no notes)');
    expect(notesCheck([d], false, target).status).toBe('failed');
  });
});

describe('the container image check (ECR DescribeImages, mocked client)', () => {
  const ecr = mockClient(ECRClient);
  const client = new ECRClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const repository = { name: 'team/app' };
  afterEach(() => ecr.reset());

  const run = async (target: Deployment) =>
    imageCheckResult(target, repository, await lookUpImage(client, repository, target.imageTag));

  it('passes when the tag is present with the recorded digest, and asks for exactly that tag', async () => {
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST_A, imageTags: ['v2.0.0', 'latest'] }] });
    const result = await run(deployment('v2.0.0', { imageDigest: DIGEST_A }));
    expect(result.status).toBe('passed');
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      repositoryName: 'team/app',
      imageIds: [{ imageTag: 'v2.0.0' }],
    });
  });

  it('fails when the image is gone (tag or repository)', async () => {
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'nope', $metadata: {} }));
    const gone = await run(deployment('v2.0.0', { imageDigest: DIGEST_A }));
    expect(gone.status).toBe('failed');
    expect(gone.detail).toContain('no longer in the registry');

    ecr.on(DescribeImagesCommand).rejects(new RepositoryNotFoundException({ message: 'nope', $metadata: {} }));
    expect((await run(deployment('v2.0.0'))).status).toBe('failed');
  });

  it('fails when the tag now points at another digest than the record holds', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST_B, imageTags: ['v2.0.0'] }] });
    const result = await run(deployment('v2.0.0', { imageDigest: DIGEST_A }));
    expect(result.status).toBe('failed');
    expect(result.detail).toContain(DIGEST_B);
    expect(result.detail).toContain(DIGEST_A);
  });

  it('passes a present image when the record holds no digest to compare, saying so', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST_B, imageTags: ['v2.0.0'] }] });
    const result = await run(deployment('v2.0.0'));
    expect(result.status).toBe('passed');
    expect(result.detail).toContain('no digest to compare');
  });

  it('fails (not passes) when the registry cannot be asked, e.g. access denied', async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const result = await run(deployment('v2.0.0'));
    expect(result.status).toBe('failed');
    expect(result.detail).toContain('AccessDeniedException');
  });

  it('is skipped, not passed, when no repository is configured', () => {
    expect(imageCheckResult(deployment('v2.0.0'), undefined).status).toBe('skipped');
  });

  it('reads a repository URI: account, region and name', async () => {
    expect(parseRepository('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app')).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
      name: 'team/app',
    });
    expect(parseRepository('team/app')).toEqual({ name: 'team/app' });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST_A, imageTags: ['v1'] }] });
    await lookUpImage(client, parseRepository('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app'), 'v1');
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input.registryId).toBe('123456789012');
  });
});

describe('safetyVerdict', () => {
  const passed = imageCheckResult(deployment('v1'), undefined); // skipped
  const failed = migrationsCheck([deployment('v2', { migrations: [migration('0042', false)] })]);

  it('lets skipped checks through and stops on a failed one', () => {
    expect(safetyVerdict([passed], { force: false }).proceed).toBe(true);
    expect(safetyVerdict([passed, failed], { force: false })).toMatchObject({ proceed: false, overridden: [] });
  });

  it('needs --force AND a reason to override a failed check', () => {
    expect(safetyVerdict([failed], { force: true }).proceed).toBe(false);
    expect(safetyVerdict([failed], { force: true, reason: '  ' }).proceed).toBe(false);
    expect(safetyVerdict([failed], { force: false, reason: 'hotfix' }).proceed).toBe(false);
    expect(safetyVerdict([failed], { force: true, reason: 'data fixed by hand' })).toMatchObject({
      proceed: true,
      overridden: [failed],
    });
  });
});

describe('the redeploy record', () => {
  const current = deployment('v2.1.0-abc1234');
  const target = deployment('v2.0.0-def5678', {
    imageDigest: DIGEST_A,
    version: 'v2.0.0',
    commitSha: 'def5678',
    migrations: [migration('0040', true)],
  });

  it("repeats the target's image and version, points rollbackOf at the undone record, and mentions the rollback", () => {
    const input = redeployRecord('prod', current, target, { reason: 'p99 latency alarm' });
    expect(input).toEqual({
      environment: 'prod',
      imageTag: 'v2.0.0-def5678',
      status: 'DEPLOYED',
      rollbackOf: current.id,
      imageDigest: DIGEST_A,
      version: 'v2.0.0',
      commitSha: 'def5678',
      notes: `Rollback of v2.1.0-abc1234 (${current.id}) to v2.0.0-def5678 (${target.id}). Reason: p99 latency alarm`,
    });
  });

  it('is the same body under the same key for the same pair (a retry replays), another key for another pair', () => {
    expect(redeployRecord('prod', current, target)).toEqual(redeployRecord('prod', current, target));
    expect(idempotencyKeyFor(current, target)).toBe(`rollback-${current.id}-${target.id}`);
    expect(idempotencyKeyFor(current, target)).not.toBe(idempotencyKeyFor(current, deployment('v1.9.0')));
  });
});
