import { randomUUID } from 'node:crypto';
import { BatchDeleteImageCommand, CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { beforeAll, describe, expect, it } from 'vitest';
import { EcrImages } from '../../functions/adapters/ecr-images.js';
import type { Deployment } from '../../functions/core/deployment.js';
import { imageCheckResult, parseRepository } from '../../functions/core/safety.js';
import { pushImage } from '../support/ecr-push.js';
import { deploymentFixture } from '../support/fixtures.js';

/**
 * The container-image check (ECR DescribeImages through EcrImages, then the rule in
 * core/safety.ts) against ECR in moto_server: images pushed with PutImage (a manifest, as
 * `docker push` ends), re-tagged, deleted. The adapter's client is the one the rollback run
 * makes, pointed at moto only by AWS_ENDPOINT_URL_ECR.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ecr = new ECRClient({ region: REGION });
const images = new EcrImages((region) => new ECRClient({ region: region ?? REGION }));
const repository = `team/app-${randomUUID().slice(0, 8)}`;

const push = (imageTag: string, seed: string) => pushImage(ecr, repository, imageTag, seed);

/** The check's result for a target record of `imageTag` with `imageDigest`, looked up in `where`. */
async function check(target: Pick<Deployment, 'imageTag' | 'imageDigest'>, where = repository) {
  const record = deploymentFixture({ environment: 'prod', ...target });
  const lookup = await images.lookUp(where, target.imageTag);
  return { lookup, result: imageCheckResult(record, parseRepository(where), lookup) };
}

beforeAll(async () => {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }));
});

describe('the container-image check against ECR in moto', () => {
  it('passes for a pushed image with the recorded digest, by repository name and by URI', async () => {
    const digest = await push('v1.0.0', 'one');
    expect(await check({ imageTag: 'v1.0.0', imageDigest: digest })).toEqual({
      lookup: { kind: 'found', digest },
      result: expect.objectContaining({
        status: 'passed',
        detail: `${repository}:v1.0.0 is present with the recorded digest`,
      }),
    });
    const uri = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${repository}`;
    expect((await check({ imageTag: 'v1.0.0', imageDigest: digest }, uri)).result.status).toBe('passed');
  });

  it('finds digest drift: the tag re-pushed onto another image', async () => {
    const recorded = await push('v2.0.0', 'two');
    const other = await push('v2.0.0', 'two-rebuilt');
    expect(other).not.toBe(recorded);
    const { lookup, result } = await check({ imageTag: 'v2.0.0', imageDigest: recorded });
    expect(lookup).toEqual({ kind: 'found', digest: other });
    expect(result).toMatchObject({
      status: 'failed',
      detail: `${repository}:v2.0.0 now points at ${other}, not the recorded ${recorded}`,
    });
  });

  it('finds a missing image: deleted, never pushed, or in a repository that does not exist', async () => {
    const digest = await push('v3.0.0', 'three');
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds: [{ imageTag: 'v3.0.0' }] }));
    expect(await check({ imageTag: 'v3.0.0', imageDigest: digest })).toEqual({
      lookup: { kind: 'gone', reason: 'image not found' },
      result: expect.objectContaining({
        status: 'failed',
        detail: `${repository}:v3.0.0 is no longer in the registry (image not found)`,
      }),
    });
    expect((await check({ imageTag: 'never-pushed', imageDigest: null })).lookup).toEqual({
      kind: 'gone',
      reason: 'image not found',
    });
    expect((await check({ imageTag: 'v1.0.0', imageDigest: null }, `${repository}-gone`)).lookup).toEqual({
      kind: 'gone',
      reason: 'repository not found',
    });
  });

  it('passes a present image whose record holds no digest, saying there was nothing to compare', async () => {
    const digest = await push('v4.0.0', 'four');
    const { result } = await check({ imageTag: 'v4.0.0', imageDigest: null });
    expect(result).toMatchObject({
      status: 'passed',
      detail: `${repository}:v4.0.0 is present (${digest}); the record holds no digest to compare`,
    });
  });
});
