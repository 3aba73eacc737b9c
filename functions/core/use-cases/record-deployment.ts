import { createHash } from 'node:crypto';
import { authorize } from '../access-policy.js';
import { type Deployment, INITIAL_STATUSES } from '../deployment.js';
import { guardBypassed } from '../environment-notifications.js';
import {
  ConflictError,
  EnvironmentHeldError,
  GuardChangedError,
  InvalidInputError,
  KnownBadImageTagError,
} from '../errors.js';
import { type Guard, knownBadRecord } from '../guards.js';
import type { OutboxEvent } from '../notifications.js';
import type { CreateOptions, WritePorts } from '../ports.js';
import type { RecordDeploymentInput } from '../schemas.js';

/** How far in the future a caller-supplied `deployedAt` may lie (clock skew allowance). */
const MAX_FUTURE_MS = 5 * 60 * 1000;

/**
 * Records a deployment.
 *
 * 0. Access: the caller must be allowed to `record` in the environment (403, nothing written).
 * 1. Refuses a first status the transition table does not allow for a new record (409).
 * 2. Rejects a `deployedAt` more than five minutes ahead of the service's clock.
 * 3. Rejects a `commitAt` more than five minutes after `deployedAt`.
 * 4. Checks that `rollbackOf`, when given, names a record in the same environment.
 * 5. Builds the record: a new ULID, every optional field present (null or []),
 *    `deployedBy` from the authenticated caller, never from the body; `override` as
 *    `{ reason, by }` with the caller as `by`.
 * 6. The guards (contract: "Additions (third round)"), for a record without `rollbackOf` (a
 *    rollback's redeploy is never refused): reads the environment item (hold, rollbacks) and
 *    whether the tag is known bad there. An IN_PROGRESS start without an override is refused
 *    with EnvironmentHeldError or KnownBadImageTagError (409, nothing written), and otherwise
 *    written conditional on what was read (no hold, the same count of rollbacks), so a hold or
 *    a rollback landing between the read and the write fails the write, and the guards decide
 *    again. A DEPLOYED/FAILED record, or a start with an override, goes through each guard that
 *    applies with a GUARD_BYPASSED in the same transaction.
 * 7. Writes it (the store keeps the environment's current record in the same transaction); with an idempotency key, a retry of the same body returns the first record
 *    and a different body under the same key is a conflict (settled in the store).
 */
export async function recordDeployment(
  ports: WritePorts<'create' | 'replay'>,
  input: RecordDeploymentInput,
  context: { by: string; idempotencyKey?: string | undefined },
): Promise<{ record: Deployment; replayed: boolean }> {
  authorize(ports, input.environment, 'record');
  if (!(INITIAL_STATUSES as readonly string[]).includes(input.status)) {
    throw new ConflictError(
      `A deployment is recorded as ${INITIAL_STATUSES.join(', ')}; ${input.status} is reached only through a transition (PATCH, or a rollback).`,
    );
  }
  const now = ports.now();
  const deployedAt = input.deployedAt ?? now.toISOString();
  if (Date.parse(deployedAt) > now.getTime() + MAX_FUTURE_MS) {
    throw new InvalidInputError([{ field: 'deployedAt', message: 'must not be more than 5 minutes in the future' }]);
  }
  // A commit made after its own deployment is a mistake, not a clock skew of minutes: refused
  // here rather than turned into a negative lead time.
  if (input.commitAt && Date.parse(input.commitAt) > Date.parse(deployedAt) + MAX_FUTURE_MS) {
    throw new InvalidInputError([
      { field: 'commitAt', message: 'must not be more than 5 minutes after deployedAt (the commit came first)' },
    ]);
  }
  if (input.rollbackOf) {
    const undone = await ports.deployments.get(input.rollbackOf);
    if (!undone || undone.environment !== input.environment) {
      throw new InvalidInputError([
        { field: 'rollbackOf', message: `must be the id of an existing deployment in ${input.environment}` },
      ]);
    }
  }
  const record: Deployment = {
    id: ports.newId(),
    environment: input.environment,
    imageTag: input.imageTag,
    imageDigest: input.imageDigest ?? null,
    status: input.status,
    deployedAt,
    deployedBy: context.by,
    version: input.version ?? null,
    commitSha: input.commitSha ?? null,
    commitAt: input.commitAt ?? null,
    notes: input.notes ?? null,
    migrations: (input.migrations ?? []).map((m) => ({
      id: m.id,
      reversible: m.reversible,
      description: m.description ?? null,
    })),
    pipelineRunUrl: input.pipelineRunUrl ?? null,
    rollbackOf: input.rollbackOf ?? null,
    rolledBackAt: null,
    rolledBackBy: null,
    rollbackReason: null,
    override: input.override ? { reason: input.override.reason, by: context.by } : null,
    updatedAt: now.toISOString(),
  };
  const idempotency = context.idempotencyKey
    ? { key: context.idempotencyKey, fingerprint: fingerprint(input) }
    : undefined;
  for (let attempt = 1; ; attempt++) {
    let options: CreateOptions;
    try {
      options = await guarded(ports, record);
    } catch (error) {
      // A retry of a start that was accepted before the hold or the rollback: the first
      // response again, as an Idempotency-Key promises.
      const first =
        idempotency && (error instanceof EnvironmentHeldError || error instanceof KnownBadImageTagError)
          ? await ports.deployments.replay(idempotency)
          : undefined;
      if (first) return { record: first, replayed: true };
      throw error;
    }
    try {
      return await ports.deployments.create(record, idempotency, options);
    } catch (error) {
      if (!(error instanceof GuardChangedError) || attempt >= GUARD_ATTEMPTS) throw error;
    }
  }
}

/** Decisions of the guards a create may make again (each lost one means a hold or rollback landed). */
const GUARD_ATTEMPTS = 3;

/**
 * The guards' decision on `record` (step 6): throws the refusal, or says what the create writes
 * besides (GUARD_BYPASSED) and what it is conditional on.
 */
async function guarded(ports: WritePorts<'create' | 'replay'>, record: Deployment): Promise<CreateOptions> {
  if (record.rollbackOf !== null) return {};
  const { environment, imageTag } = record;
  const state = await ports.deployments.environment(environment);
  const hold = state?.hold ?? null;
  const bad = await knownBadRecord(ports.deployments.tagRecords(imageTag, environment));
  if (record.status === 'IN_PROGRESS' && !record.override) {
    if (hold) {
      throw new EnvironmentHeldError(
        hold,
        `${environment} is held since ${hold.since} by ${hold.by} (${hold.reason}): no forward deployment starts there until it is released (POST .../environments/${environment}/release), unless the start carries an override with a reason.`,
      );
    }
    if (bad) {
      throw new KnownBadImageTagError(
        bad.id,
        `${imageTag} is known bad in ${environment}: ${bad.id} was rolled back${bad.rolledBackAt ? ` at ${bad.rolledBackAt}` : ''} and the tag has not been DEPLOYED there since; start another version, or give an override with a reason.`,
      );
    }
    return { guard: { rollbacks: state?.rollbacks ?? 0 } };
  }
  const through: Guard[] = [...(hold ? (['hold'] as const) : []), ...(bad ? (['known-bad'] as const) : [])];
  const events: OutboxEvent[] = through.map((guard) =>
    guardBypassed({ eventId: ports.newId(), occurredAt: record.updatedAt }, record, guard, record.override, hold),
  );
  return { events };
}

/** A stable hash of the validated input: member order in the request does not matter. */
function fingerprint(input: RecordDeploymentInput): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, canonical(v)]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(input)))
    .digest('hex');
}
