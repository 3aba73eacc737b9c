/**
 * The rollback safety checks: what runs before a rollback changes anything, shown before
 * step 2 (mark). ONE module for every surface: the CLI's rollback and plan (cli/rollback.ts),
 * the service's rollback run (its `checks` step), and whatever else asks whether a rollback
 * would be safe. safetyChecks runs them over the rollback target rule's answer
 * (rollback-target.ts); the decisions are plain functions, and the registry lookup is a port
 * (ImageRegistry; the ECR adapter is functions/adapters/ecr-images.ts).
 */
import type { Deployment } from './deployment.js';
import type { Refusal, RollbackPlan } from './rollback-target.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: 'target-record' | 'container-image' | 'deployment-notes' | 'migrations';
  name: string;
  status: CheckStatus;
  detail: string;
  /** Lines shown under the check: the notes of each deployment, each blocking migration. */
  items: string[];
}

const check = (
  id: CheckResult['id'],
  name: string,
  status: CheckStatus,
  detail: string,
  items: string[] = [],
): CheckResult => ({ id, name, status, detail, items });

export interface BlockingMigration {
  deploymentId: string;
  imageTag: string;
  id: string;
  description: string | null;
}

/**
 * Migrations a rollback cannot undo: the irreversible ones recorded on the deployments it
 * undoes, whatever their status (a FAILED or ROLLED_BACK deployment may still have run them).
 */
export function blockingMigrations(between: readonly Deployment[]): BlockingMigration[] {
  return between.flatMap((d) =>
    d.migrations
      .filter((m) => !m.reversible)
      .map((m) => ({ deploymentId: d.id, imageTag: d.imageTag, id: m.id, description: m.description })),
  );
}

/**
 * The target record: the rollback target rule found a DEPLOYED record to go back to (passed),
 * or refused the target, saying why (failed: no record, known bad, never DEPLOYED, ...).
 */
export function targetRecordCheck(plan: RollbackPlan | Refusal, environment: string): CheckResult {
  const name = 'target record exists';
  if ('kind' in plan) return check('target-record', name, 'failed', plan.reason);
  const { target } = plan;
  return check('target-record', name, 'passed', `${target.imageTag} (${target.id}) is DEPLOYED in ${environment}`);
}

/**
 * The notes of every deployment the rollback undoes, for the person or log reading the plan.
 * It informs and never blocks: the rule only answers with a target its walk reached, so the
 * list is always whole.
 */
export function notesCheck(between: readonly Deployment[]): CheckResult {
  const items = between.map(
    (d) => `${d.imageTag} ${d.status} ${d.deployedAt} (${d.id}): ${d.notes === null ? '(no notes)' : d.notes}`,
  );
  const count = between.length === 1 ? '1 deployment' : `${between.length} deployments`;
  return check('deployment-notes', 'deployment notes', 'passed', `${count} to undo`, items);
}

/** Irreversible migrations block the rollback; each is listed by id and description. */
export function migrationsCheck(between: readonly Deployment[]): CheckResult {
  const name = 'migrations';
  const blocking = blockingMigrations(between);
  const reversible = between.reduce((n, d) => n + d.migrations.filter((m) => m.reversible).length, 0);
  if (blocking.length === 0) {
    return check(
      'migrations',
      name,
      'passed',
      reversible ? `${reversible} migration(s), all reversible` : 'no migrations recorded',
    );
  }
  return check(
    'migrations',
    name,
    'failed',
    `${blocking.length} irreversible migration(s) would stay applied`,
    blocking.map((m) => `${m.id} (on ${m.imageTag}, ${m.deploymentId})${m.description ? `: ${m.description}` : ''}`),
  );
}

/** An ECR repository: its name, and the account and region when given as a repository URI. */
export interface RepositoryRef {
  name: string;
  registryId?: string;
  region?: string;
}

/**
 * Accepts a repository name (`team/app`) or URI (`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app`),
 * so a pipeline can pass whatever it already pushes to.
 */
export function parseRepository(value: string): RepositoryRef {
  const uri = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)$/.exec(value);
  if (uri) return { registryId: uri[1] as string, region: uri[2] as string, name: uri[3] as string };
  return { name: value };
}

/** The image check's registry lookup (the port; ECR in the service and the CLI). */
export interface ImageRegistry {
  /** DescribeImages of `imageTag` in `repository` (a name or URI), reduced to what the check needs. */
  lookUp(repository: string, imageTag: string): Promise<ImageLookup>;
}

/** What the registry said about the target's tag. */
export type ImageLookup =
  | { kind: 'found'; digest: string | undefined }
  | { kind: 'gone'; reason: string }
  | { kind: 'error'; reason: string };

/** The check's result for an answer from the registry (pure: the rule, without the call). */
export function imageCheckResult(target: Deployment, repository: RepositoryRef | undefined, lookup?: ImageLookup) {
  const name = 'container image';
  if (!repository || !lookup) {
    return check(
      'container-image',
      name,
      'skipped',
      "no ECR repository configured (CLI: --ecr-repository or PLATFORM_ROLLBACK_ECR_REPOSITORY; service: the environment's ecrRepository)",
    );
  }
  const where = `${repository.name}:${target.imageTag}`;
  switch (lookup.kind) {
    case 'gone':
      return check('container-image', name, 'failed', `${where} is no longer in the registry (${lookup.reason})`);
    case 'error':
      return check('container-image', name, 'failed', `could not check ${where}: ${lookup.reason}`);
    case 'found':
      if (!target.imageDigest) {
        return check(
          'container-image',
          name,
          'passed',
          `${where} is present (${lookup.digest ?? 'no digest'}); the record holds no digest to compare`,
        );
      }
      if (lookup.digest !== target.imageDigest) {
        return check(
          'container-image',
          name,
          'failed',
          `${where} now points at ${lookup.digest ?? 'an image without a digest'}, not the recorded ${target.imageDigest}`,
        );
      }
      return check('container-image', name, 'passed', `${where} is present with the recorded digest`);
  }
}

/**
 * Runs the safety checks over the rollback target rule's answer, in the order they are
 * shown: the target record, the container image (in `repository` with the recorded digest;
 * skipped without a repository), the notes of the deployments undone, their irreversible
 * migrations. A refused target fails the first and skips the rest: there is nothing to check.
 */
export async function safetyChecks(
  ports: { images: ImageRegistry },
  plan: RollbackPlan | Refusal,
  options: { environment: string; repository?: string | undefined },
): Promise<CheckResult[]> {
  const first = targetRecordCheck(plan, options.environment);
  if ('kind' in plan) {
    const none = 'no target to check';
    return [
      first,
      check('container-image', 'container image', 'skipped', none),
      check('deployment-notes', 'deployment notes', 'skipped', none),
      check('migrations', 'migrations', 'skipped', none),
    ];
  }
  const { target, between } = plan;
  const { repository } = options;
  const image = repository
    ? imageCheckResult(target, parseRepository(repository), await ports.images.lookUp(repository, target.imageTag))
    : imageCheckResult(target, undefined);
  return [first, image, notesCheck(between), migrationsCheck(between)];
}

export interface Verdict {
  /** The rollback may change things. */
  proceed: boolean;
  failed: CheckResult[];
  /** Failed checks that `--force` with a reason let through. */
  overridden: CheckResult[];
}

/** A failed check stops the rollback unless it is forced with a reason; skipped checks do not stop it. */
export function safetyVerdict(checks: readonly CheckResult[], force: { force: boolean; reason?: string }): Verdict {
  const failed = checks.filter((c) => c.status === 'failed');
  const forced = force.force && Boolean(force.reason?.trim());
  return { proceed: failed.length === 0 || forced, failed, overridden: forced ? failed : [] };
}
