import { type Action, authorize, mayAccess } from '../access-policy.js';
import type { Deployment } from '../deployment.js';
import { AmbiguousTagError, NotFoundError } from '../errors.js';
import type { ReadPorts } from '../ports.js';

/**
 * Resolves an image tag to one record, by the contract's rules.
 *
 * 1. With an environment: the most recent record of the tag there.
 * 2. Without one, where the tag lives in exactly one environment: the most recent there.
 * 3. Where it lives in several: AmbiguousTagError listing them. The service never guesses.
 *
 * 4. Access: the caller must be allowed `action` (default `read`) in the record's
 *    environment, checked once the environment is known and before anything is returned or
 *    written (403). Given an environment, it is checked before anything is read.
 *
 * `fresh`: the answer must also see a record written a moment ago (see latestOfTag); the
 * rollback asks for it, since it writes on the strength of the answer.
 */
export async function resolveTag(
  ports: ReadPorts,
  imageTag: string,
  environment: string | undefined,
  options: { fresh?: boolean; action?: Action } = {},
): Promise<Deployment> {
  const action = options.action ?? 'read';
  if (environment !== undefined) authorize(ports, environment, action);
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
  authorize(ports, record.environment, action);
  return record;
}

/**
 * Whether any record of a tag exists, and where.
 *
 * 1. With an environment: only that environment is looked at and reported.
 * 2. Without one: every environment holding the tag, sorted.
 * 3. Access: with an environment, the caller must be allowed to `read` it (403); without
 *    one, only the environments it may read are reported, so the answer tells it nothing
 *    about the others.
 */
export async function tagExists(
  ports: ReadPorts,
  imageTag: string,
  environment: string | undefined,
): Promise<{ imageTag: string; exists: boolean; environments: string[] }> {
  if (environment !== undefined) authorize(ports, environment, 'read');
  const found = environment
    ? (await ports.deployments.latestOfTag(imageTag, environment))
      ? [environment]
      : []
    : await ports.deployments.environmentsOfTag(imageTag);
  const environments = found.filter((env) => mayAccess(ports, env, 'read'));
  return { imageTag, exists: environments.length > 0, environments };
}
