/**
 * The container-image check's registry lookup: ECR DescribeImages for the target's tag,
 * reduced to what the rule in core/safety.ts needs. Used by the CLI and the rollback run.
 */
import {
  DescribeImagesCommand,
  type DescribeImagesCommandOutput,
  type ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { type ImageLookup, type ImageRegistry, parseRepository, type RepositoryRef } from '../core/safety.js';

/** DescribeImages for the target's tag, its answer reduced to what the check needs. */
export async function lookUpImage(ecr: ECRClient, repository: RepositoryRef, imageTag: string): Promise<ImageLookup> {
  let output: DescribeImagesCommandOutput;
  try {
    output = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: repository.name,
        ...(repository.registryId ? { registryId: repository.registryId } : {}),
        imageIds: [{ imageTag }],
      }),
    );
  } catch (error) {
    if (error instanceof ImageNotFoundException) return { kind: 'gone', reason: 'image not found' };
    if (error instanceof RepositoryNotFoundException) return { kind: 'gone', reason: 'repository not found' };
    const e = error as { name?: string; message?: string };
    return { kind: 'error', reason: `${e.name ?? 'Error'}: ${e.message ?? String(error)}` };
  }
  const detail = output.imageDetails?.find((d) => d.imageTags?.includes(imageTag)) ?? output.imageDetails?.[0];
  if (!detail) return { kind: 'gone', reason: 'no image details returned' };
  return { kind: 'found', digest: detail.imageDigest };
}

/** The ImageRegistry port over ECR: a repository name or URI, looked up in its region. */
export class EcrImages implements ImageRegistry {
  constructor(private readonly clientFor: (region: string | undefined) => ECRClient) {}

  lookUp(repository: string, imageTag: string): Promise<ImageLookup> {
    const ref = parseRepository(repository);
    return lookUpImage(this.clientFor(ref.region), ref, imageTag);
  }
}
