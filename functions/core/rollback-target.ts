/**
 * THE rule that answers "what do we roll back to", for every surface: the rollback-target
 * route, a rollback run (POST .../rollbacks and its workflow), the alarm path, and the CLI
 * (which reads the history through the API and applies this same code). One walk of the
 * history, newest first, gives the current deployment, the target, and the deployments in
 * between (what the safety checks of safety.ts look at), or one refusal saying why not.
 */
import type { Deployment } from './deployment.js';
import { NothingToRollBackError, RollbackRefusedError } from './errors.js';
import type { DeploymentReader } from './ports.js';

/**
 * What the caller will do with the answer, and so which current deployments it refuses:
 * - `read`: only asks (the rollback-target route): any current deployment;
 * - `act`: rolls back now (a run, the alarm path): current must be DEPLOYED, no rollback itself;
 * - `resume`: the CLI, whose re-run after a failed deploy finds current ROLLED_BACK already:
 *   DEPLOYED or ROLLED_BACK, no rollback itself.
 */
export type Purpose = 'read' | 'act' | 'resume';

/** Refusals about the current deployment: nothing is chosen for it. */
export const CURRENT_REFUSALS = [
  'no-deployments',
  'no-such-current',
  'current-changed',
  'current-not-deployed',
  'current-is-rollback',
] as const;
/** Refusals about the target: the current deployment is fine, but there is nothing (acceptable) to go back to. */
export const TARGET_REFUSALS = [
  'no-target',
  'no-such-tag',
  'never-deployed',
  'known-bad',
  'not-older',
  'is-current',
] as const;
export type RefusalKind = (typeof CURRENT_REFUSALS)[number] | (typeof TARGET_REFUSALS)[number];

export interface Refusal {
  kind: RefusalKind;
  /** Why, as a clause: what a skipped alarm publishes and what a failed check shows. */
  reason: string;
  /** Why, as the sentence the API answers with. */
  message: string;
  /** 404: nothing to roll back to; 409: the current deployment must not be rolled back. */
  status: 404 | 409;
}

/** A rollback that may go ahead: from `current` back to `target`. */
export interface RollbackPlan {
  current: Deployment;
  target: Deployment;
  /** The deployments it undoes: `current` (included) down to `target` (excluded), newest first. */
  between: Deployment[];
}

export type TargetAnswer = ({ ok: true } & RollbackPlan) | { ok: false; refusal: Refusal; current: Deployment | null };

/** An environment's history as the rule reads it: the store's in the service, the API's in the CLI. */
export interface RecordedHistory {
  /** The records, newest first, read lazily: the walk stops at the target. */
  newestFirst(): AsyncIterable<Deployment>;
  /** Whether the environment holds any record of `imageTag`: one indexed read spares walking a whole history for a tag that is not there. */
  hasTag(imageTag: string): Promise<boolean>;
}

export interface TargetRequest {
  environment: string;
  purpose: Purpose;
  /** The problematic deployment is the most recent record of this tag; default: the environment's most recent record. */
  currentTag?: string | undefined;
  /** Roll back to this tag (its most recent DEPLOYED record older than current); default: the rule below. */
  targetTag?: string | undefined;
  /** The id of the deployment the caller means to roll back: refused (`current-changed`) when another record is now the most recent. */
  currentId?: string | undefined;
}

const describe = (d: Deployment) => `${d.imageTag} (${d.id})`;

const refused = (kind: RefusalKind, reason: string, message: string): Refusal => ({
  kind,
  reason,
  message,
  status: kind === 'current-not-deployed' || kind === 'current-is-rollback' || kind === 'current-changed' ? 409 : 404,
});

/** Whether a refusal is about the target (the caller may show it as a failed target check). */
export function isTargetRefusal(refusal: Refusal): boolean {
  return (TARGET_REFUSALS as readonly string[]).includes(refusal.kind);
}

/**
 * Why `current` must not be rolled back for `purpose`, or null. In this order: not DEPLOYED
 * (already rolled back, failed, in progress), then itself a rollback (`rollbackOf` set): a
 * rollback of a rollback would start a chain from one misattributed alarm or one re-run.
 */
export function currentRefusal(current: Deployment, purpose: Purpose): Refusal | null {
  if (purpose === 'read') return null;
  const what = describe(current);
  const allowed = purpose === 'resume' ? ['DEPLOYED', 'ROLLED_BACK'] : ['DEPLOYED'];
  if (!allowed.includes(current.status)) {
    const reason =
      current.status === 'ROLLED_BACK'
        ? `${what} is already rolled back`
        : `${what} is ${current.status}, not DEPLOYED`;
    return refused('current-not-deployed', reason, `${reason}; only a DEPLOYED deployment is rolled back.`);
  }
  if (current.rollbackOf) {
    const reason = `${what} is itself a rollback (of ${current.rollbackOf}); rollbacks are not rolled back`;
    return refused('current-is-rollback', reason, `${reason}.`);
  }
  return null;
}

/**
 * Chooses the target, walking the history newest first once.
 *
 * 1. `current`: the most recent record (or of `currentTag`); none is `no-deployments` /
 *    `no-such-current`; another one than `currentId` is `current-changed`; then
 *    currentRefusal for the purpose.
 * 2. The default rule (the contract's): the first record older than `current` that is
 *    DEPLOYED, carries another image tag, and whose tag has no ROLLED_BACK record newer than
 *    it in this environment (such a tag is known bad); none is `no-target`.
 * 3. An explicit `targetTag`: its most recent DEPLOYED record older than `current`, refused
 *    as `is-current` (the tag runs now), `no-such-tag` (no record there), `known-bad` (a
 *    ROLLED_BACK record of it newer than that DEPLOYED one, or no DEPLOYED one after its
 *    rollback), `never-deployed` (its older records are FAILED or IN_PROGRESS only) or
 *    `not-older` (its records are all newer than current).
 */
export async function chooseRollbackTarget(history: RecordedHistory, request: TargetRequest): Promise<TargetAnswer> {
  const { environment, targetTag, currentTag } = request;
  const refuse = (refusal: Refusal, current: Deployment | null = null): TargetAnswer => ({
    ok: false,
    refusal,
    current,
  });
  if (currentTag !== undefined && !(await history.hasTag(currentTag))) {
    const reason = `no deployment of image tag ${currentTag} in ${environment}`;
    return refuse(refused('no-such-current', reason, `No deployment of image tag ${currentTag} in ${environment}.`));
  }
  /** Tags known bad so far: each one's most recent ROLLED_BACK record (the first the walk meets). */
  const bad = new Map<string, Deployment>();
  const between: Deployment[] = [];
  let current: Deployment | undefined;
  let targetNewer = false;
  let targetOlder = false;
  for await (const record of history.newestFirst()) {
    if (!current) {
      if (currentTag !== undefined && record.imageTag !== currentTag) {
        // Newer than current: only its verdict on its tag counts.
        if (record.imageTag === targetTag) targetNewer = true;
        if (record.status === 'ROLLED_BACK' && !bad.has(record.imageTag)) bad.set(record.imageTag, record);
        continue;
      }
      current = record;
      if (request.currentId !== undefined && current.id !== request.currentId) {
        const reason = `${describe(current)} was recorded after ${request.currentId}`;
        return refuse(
          refused('current-changed', reason, `${environment} changed meanwhile: ${reason}; try again.`),
          current,
        );
      }
      const no = currentRefusal(current, request.purpose);
      if (no) return refuse(no, current);
      if (targetTag === current.imageTag) {
        const reason = `${targetTag} is the current deployment's tag (${describe(current)})`;
        return refuse(refused('is-current', reason, `${reason}; a rollback goes to another version.`), current);
      }
      if (targetTag !== undefined && !(await history.hasTag(targetTag))) {
        return refuse(noSuchTag(targetTag, environment), current);
      }
    } else if (targetTag === undefined) {
      if (record.status === 'DEPLOYED' && record.imageTag !== current.imageTag && !bad.has(record.imageTag)) {
        return { ok: true, current, target: record, between };
      }
    } else if (record.imageTag === targetTag) {
      targetOlder = true;
      if (record.status === 'DEPLOYED') {
        const rolledBack = bad.get(targetTag);
        if (rolledBack) return refuse(knownBad(targetTag, environment, rolledBack), current);
        return { ok: true, current, target: record, between };
      }
    }
    if (record.status === 'ROLLED_BACK' && !bad.has(record.imageTag)) bad.set(record.imageTag, record);
    between.push(record);
  }
  if (!current) {
    return refuse(refused('no-deployments', `no deployments in ${environment}`, `No deployments in ${environment}.`));
  }
  if (targetTag === undefined) {
    const reason = `no earlier DEPLOYED version in ${environment} to roll back ${current.imageTag} to`;
    return refuse(
      refused(
        'no-target',
        reason,
        `No earlier DEPLOYED version in ${environment} to roll back ${current.imageTag} to.`,
      ),
      current,
    );
  }
  const rolledBack = bad.get(targetTag);
  if (rolledBack) return refuse(knownBad(targetTag, environment, rolledBack), current);
  if (targetOlder) {
    const reason = `${targetTag} has no DEPLOYED record in ${environment} older than ${describe(current)}: its records there are FAILED or IN_PROGRESS, none a known good version`;
    return refuse(refused('never-deployed', reason, `${reason}.`), current);
  }
  if (targetNewer) {
    const reason = `${targetTag} has no record in ${environment} older than ${describe(current)}`;
    return refuse(refused('not-older', reason, `${reason}: a rollback goes back in time.`), current);
  }
  return refuse(noSuchTag(targetTag, environment), current);
}

function noSuchTag(imageTag: string, environment: string): Refusal {
  return refused(
    'no-such-tag',
    `no record of ${imageTag} in ${environment}`,
    `No record of ${imageTag} in ${environment} to roll back to.`,
  );
}

function knownBad(imageTag: string, environment: string, rolledBack: Deployment): Refusal {
  const when = rolledBack.rolledBackAt ? ` at ${rolledBack.rolledBackAt}` : '';
  const reason = `${imageTag} is known bad in ${environment}: ${describe(rolledBack)} was rolled back${when} and the tag has not been DEPLOYED there since`;
  return refused('known-bad', reason, `${reason}; a known-bad tag is never a rollback target.`);
}

/** The service's view of an environment's history: the store's walk and its tag index. */
export function storedHistory(deployments: DeploymentReader, environment: string): RecordedHistory {
  return {
    newestFirst: () => deployments.iterate(environment),
    hasTag: async (imageTag) => (await deployments.latestOfTag(imageTag, environment)) !== undefined,
  };
}

/** The domain error of a refusal: 404 (NothingToRollBackError) or 409 (RollbackRefusedError). */
export function refusalError(refusal: Refusal): NothingToRollBackError | RollbackRefusedError {
  return refusal.status === 404
    ? new NothingToRollBackError(refusal, refusal.message)
    : new RollbackRefusedError(refusal, refusal.message);
}

/** chooseRollbackTarget over the store, a refusal thrown as its domain error. */
export async function planRollback(deployments: DeploymentReader, request: TargetRequest): Promise<RollbackPlan> {
  const answer = await chooseRollbackTarget(storedHistory(deployments, request.environment), request);
  if (!answer.ok) throw refusalError(answer.refusal);
  return answer;
}
