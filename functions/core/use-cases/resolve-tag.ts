import type { Deployment } from '../deployment.js';
import { AmbiguousTagError, NotFoundError } from '../errors.js';
import type { Ports } from '../ports.js';

/**
 * Resolves an image tag to one record, by the contract's rules.
 *
 * 1. With an environment: the most recent record of the tag there.
 * 2. Without one, where the tag lives in exactly one environment: the most recent there.
 * 3. Where it lives in several: AmbiguousTagError listing them. The service never guesses.
 *
 * `fresh`: the answer must also see a record written a moment ago (see latestOfTag); the
 * rollback asks for it, since it writes on the strength of the answer.
 */
export async function resolveTag(
  ports: Ports,
  imageTag: string,
  environment: string | undefined,
  options: { fresh?: boolean } = {},
): Promise<Deployment> {
  let env = environment;
  if (env === undefined) {
    const environments = await ports.deployments.environmentsOfTag(imageTag);
    if (environments.length > 1) throw new AmbiguousTagError(imageTag, environments);
    env = environments[0];
  }
  const record = env === undefined ? undefined : await ports.deployments.latestOfTag(imageTag, env, options);
  if (!record) {
    throw new NotFoundError(
      environment
        ? `No deployment of image tag ${imageTag} in ${environment}.`
        : `No deployment of image tag ${imageTag}.`,
    );
  }
  return record;
}

/**
 * Whether any record of a tag exists, and where.
 *
 * 1. With an environment: only that environment is looked at and reported.
 * 2. Without one: every environment holding the tag, sorted.
 */
export async function tagExists(
  ports: Ports,
  imageTag: string,
  environment: string | undefined,
): Promise<{ imageTag: string; exists: boolean; environments: string[] }> {
  const environments = environment
    ? (await ports.deployments.latestOfTag(imageTag, environment))
      ? [environment]
      : []
    : await ports.deployments.environmentsOfTag(imageTag);
  return { imageTag, exists: environments.length > 0, environments };
}
