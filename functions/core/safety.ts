/**
 * The rollback safety checks (the seed's "Rollback Safety"): the checks that run before a
 * rollback changes anything. One implementation for the CLI's rollback (cli/rollback.ts) and
 * the service's rollback run (the `checks` step). The decisions are plain functions; the
 * registry lookup is an adapter (functions/adapters/ecr-images.ts).
 */
import type { Deployment } from './deployment.js';

/** Whether a tag has records, and where (the `exists` route's answer, or the store's). */
export interface TagPresence {
  imageTag?: string;
  exists: boolean;
  environments: string[];
}

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

/**
 * The deployments a rollback undoes: from `current` (included) down to `target` (excluded),
 * in the newest-first order of the history. `reachedTarget` is false when the history given
 * ends before the target, so the caller knows to read another page (or that it is missing).
 */
export function deploymentsBetween(
  history: readonly Deployment[],
  current: Deployment,
  target: Deployment,
): { between: Deployment[]; reachedTarget: boolean } {
  const between: Deployment[] = [];
  let started = false;
  for (const record of history) {
    if (record.id === target.id) return { between, reachedTarget: true };
    if (record.id === current.id) started = true;
    if (started) between.push(record);
  }
  return { between, reachedTarget: false };
}

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

/** The target's record exists in the environment (the `exists` route) and was a good deployment. */
export function targetRecordCheck(answer: TagPresence, target: Deployment, environment: string): CheckResult {
  const name = 'target record exists';
  if (!answer.exists || !answer.environments.includes(environment)) {
    return check('target-record', name, 'failed', `no record of ${target.imageTag} in ${environment}`);
  }
  if (target.status !== 'DEPLOYED') {
    return check(
      'target-record',
      name,
      'failed',
      `${target.imageTag} (${target.id}) is ${target.status}, not DEPLOYED: it is not a known good version`,
    );
  }
  return check('target-record', name, 'passed', `${target.imageTag} (${target.id}) is DEPLOYED in ${environment}`);
}

/** Notes of every deployment the rollback undoes, for the person or log reading the plan. */
export function notesCheck(between: readonly Deployment[], reachedTarget: boolean, target: Deployment): CheckResult {
  const name = 'deployment notes';
  const items = between.map(
    (d) => `${d.imageTag} ${d.status} ${d.deployedAt} (${d.id}): ${d.notes === null ? '(no notes)' : d.notes}`,
  );
  if (!reachedTarget) {
    return check('deployment-notes', name, 'failed', `the history does not reach ${target.imageTag} (${target.id})`);
  }
  const count = between.length === 1 ? '1 deployment' : `${between.length} deployments`;
  return check('deployment-notes', name, 'passed', `${count} to undo`, items);
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
