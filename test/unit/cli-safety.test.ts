import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotencyKeyFor, redeployRecord } from '../../cli/rollback.js';
import { lookUpImage } from '../../functions/adapters/ecr-images.js';
import type { Deployment, Migration } from '../../functions/core/deployment.js';
import { chooseRollbackTarget, type Refusal } from '../../functions/core/rollback-target.js';
import {
  blockingMigrations,
  type ImageLookup,
  imageCheckResult,
  migrationsCheck,
  notesCheck,
  parseRepository,
  safetyChecks,
  safetyVerdict,
  targetRecordCheck,
} from '../../functions/core/safety.js';
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
  const current = deployment('v1.1.0');

  it("passes for the rule's target, naming it", () => {
    const result = targetRecordCheck({ current, target, between: [current] }, 'prod');
    expect(result).toMatchObject({ status: 'passed', detail: `v1.0.0 (${target.id}) is DEPLOYED in prod` });
  });

  it("fails with the rule's reason when it refused the target", () => {
    const refusal: Refusal = { kind: 'known-bad', reason: 'v1.0.0 is known bad in prod', message: '.', status: 404 };
    expect(targetRecordCheck(refusal, 'prod')).toMatchObject({
      id: 'target-record',
      status: 'failed',
      detail: 'v1.0.0 is known bad in prod',
    });
  });

  it('shows the notes of each deployment undone', () => {
    const d = deployment('v2', { notes: 'Adds the invoices view' });
    const shown = notesCheck([d, deployment('v1.9')]);
    expect(shown.status).toBe('passed');
    expect(shown.detail).toBe('2 deployments to undo');
    expect(shown.items[0]).toContain('Adds the invoices view');
    expect(shown.items[1]).toContain('(no notes)');
  });
});

describe('safetyChecks: the one module every surface runs', () => {
  const lookups: [string, string][] = [];
  const images = (answer: ImageLookup) => ({
    lookUp: async (repository: string, imageTag: string) => {
      lookups.push([repository, imageTag]);
      return answer;
    },
  });
  const history = (...newestFirst: Deployment[]) => ({
    newestFirst: async function* () {
      yield* newestFirst;
    },
    hasTag: async (tag: string) => newestFirst.some((d) => d.imageTag === tag),
  });

  it("runs the four checks over the rule's plan, in order, asking the registry for the target's tag", async () => {
    const good = deployment('v1.0.0', { imageDigest: DIGEST_A });
    const risky = deployment('v1.1.0', { status: 'FAILED', migrations: [migration('0042_drop', false)] });
    const current = deployment('v1.2.0');
    const plan = await chooseRollbackTarget(history(current, risky, good), { environment: 'prod', purpose: 'act' });
    if (!plan.ok) throw new Error(plan.refusal.reason);
    const checks = await safetyChecks({ images: images({ kind: 'found', digest: DIGEST_A }) }, plan, {
      environment: 'prod',
      repository: 'team/app',
    });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['target-record', 'passed'],
      ['container-image', 'passed'],
      ['deployment-notes', 'passed'],
      ['migrations', 'failed'],
    ]);
    expect(lookups.at(-1)).toEqual(['team/app', 'v1.0.0']);
    expect(checks[2]?.items).toHaveLength(2);
  });

  it('skips the image check without a repository, and asks no registry', async () => {
    const before = lookups.length;
    const plan = { current: deployment('v2'), target: deployment('v1'), between: [] };
    const checks = await safetyChecks({ images: images({ kind: 'gone', reason: 'x' }) }, plan, { environment: 'prod' });
    expect(checks[1]).toMatchObject({ id: 'container-image', status: 'skipped' });
    expect(lookups.length).toBe(before);
  });

  it('fails the target check and skips the rest for a refused target', async () => {
    const answer = await chooseRollbackTarget(history(deployment('v2'), deployment('v1')), {
      environment: 'prod',
      purpose: 'act',
      targetTag: 'v0.9',
    });
    if (answer.ok) throw new Error('expected a refusal');
    const checks = await safetyChecks({ images: images({ kind: 'found', digest: DIGEST_A }) }, answer.refusal, {
      environment: 'prod',
      repository: 'team/app',
    });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['target-record', 'failed'],
      ['container-image', 'skipped'],
      ['deployment-notes', 'skipped'],
      ['migrations', 'skipped'],
    ]);
    expect(checks[0]?.detail).toBe('no record of v0.9 in prod');
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
