import { type ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';

/** A distinct image manifest (schema 2) per `seed`, so each has its own digest. */
export function manifest(seed: string): string {
  const layer = (n: number) => `sha256:${Buffer.from(`${seed}-${n}`).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: layer(0) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3208942, digest: layer(1) }],
  });
}

/** Pushes `seed`'s manifest as `repositoryName:imageTag` (as `docker push` ends) and answers its digest. */
export async function pushImage(ecr: ECRClient, repositoryName: string, imageTag: string, seed: string) {
  const answer = await ecr.send(new PutImageCommand({ repositoryName, imageManifest: manifest(seed), imageTag }));
  const digest = answer.image?.imageId?.imageDigest;
  if (!digest) throw new Error('moto answered PutImage without a digest');
  return digest;
}
