import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  type AccessPolicy,
  isAllowed,
  isPrincipal,
  parseAccessPolicy,
} from '../../functions/core/access-policy.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { autoRollback } from '../../functions/core/use-cases/auto-rollback.js';
import { findRollbackTarget } from '../../functions/core/use-cases/find-rollback-target.js';
import { finishDeployment } from '../../functions/core/use-cases/finish-deployment.js';
import { listHistory } from '../../functions/core/use-cases/list-history.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import { resolveTag, tagExists } from '../../functions/core/use-cases/resolve-tag.js';
import { rollbackDeployment } from '../../functions/core/use-cases/rollback-deployment.js';
import { memoryPorts } from '../support/memory-store.js';

const ACCOUNT = '123456789012';
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
/** What API Gateway passes on for a caller that assumed `name` (session name: the pipeline run). */
const session = (name: string, run = 'run-42') => `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${run}`;

const DEV_CI = 'ci-deployer-dev';
const PROD_CI = 'ci-deployer-prod';
const ONCALL = 'oncall';
const AUDITOR = 'auditor';

const POLICY: AccessPolicy = parseAccessPolicy(
  {
    dev: { read: [role(DEV_CI)], record: [role(DEV_CI)], rollback: [role(DEV_CI)] },
    prod: {
      read: [role(PROD_CI), role(`ops/${ONCALL}`)],
      record: [role(`pipelines/${PROD_CI}`)],
      rollback: [role(`ops/${ONCALL}`)],
    },
    '*': { read: [role(AUDITOR)] },
  },
  'test policy',
);

describe('matching principals', () => {
  it('matches an assumed-role session to its role, with or without a path', () => {
    expect(isPrincipal(role(DEV_CI), session(DEV_CI))).toBe(true);
    expect(isPrincipal(role(`pipelines/team-a/${DEV_CI}`), session(DEV_CI, 'github-actions-1234'))).toBe(true);
    expect(isPrincipal(role(DEV_CI), role(DEV_CI))).toBe(true);
  });

  it('refuses another role, another account, another partition, a prefix of the name', () => {
    expect(isPrincipal(role(DEV_CI), session(PROD_CI))).toBe(false);
    expect(isPrincipal(role(DEV_CI), `arn:aws:sts::210987654321:assumed-role/${DEV_CI}/run-42`)).toBe(false);
    expect(isPrincipal(role(DEV_CI), `arn:aws-cn:sts::${ACCOUNT}:assumed-role/${DEV_CI}/run-42`)).toBe(false);
    expect(isPrincipal(role('ci'), session(DEV_CI))).toBe(false);
    expect(isPrincipal(role(DEV_CI), `arn:aws:iam::${ACCOUNT}:user/${DEV_CI}`)).toBe(false);
    expect(isPrincipal(role(DEV_CI), 'local')).toBe(false);
  });

  it('decides per environment and action; "*" adds to every environment', () => {
    expect(isAllowed(POLICY, session(DEV_CI), 'dev', 'rollback')).toBe(true);
    expect(isAllowed(POLICY, session(DEV_CI), 'prod', 'rollback')).toBe(false);
    expect(isAllowed(POLICY, session(DEV_CI), 'prod', 'read')).toBe(false);
    expect(isAllowed(POLICY, session(PROD_CI), 'prod', 'record')).toBe(true);
    expect(isAllowed(POLICY, session(PROD_CI), 'prod', 'rollback')).toBe(false);
    expect(isAllowed(POLICY, session(ONCALL), 'prod', 'rollback')).toBe(true);
    expect(isAllowed(POLICY, session(AUDITOR), 'staging', 'read')).toBe(true);
    expect(isAllowed(POLICY, session(AUDITOR), 'prod', 'record')).toBe(false);
    // An environment the policy does not name: nobody but the "*" grants.
    expect(isAllowed(POLICY, session(DEV_CI), 'staging', 'read')).toBe(false);
  });

  it.each([
    [{ prod: { read: ['ci-deployer'] } }, /prod\.read\.0: must be an IAM role ARN/],
    [{ prod: { read: [session(DEV_CI)] } }, /prod\.read\.0/],
    [{ prod: { deploy: [role(DEV_CI)] } }, /deploy/],
    [{ Prod: { read: [role(DEV_CI)] } }, /must be an environment name/],
    [['prod'], /not a valid access policy/],
  ])('refuses the policy %o', (policy, message) => {
    expect(() => parseAccessPolicy(policy, 'p')).toThrow(message);
  });
});

/** Ports acting for `caller` under POLICY, over one store seeded with prod and dev records. */
async function seeded() {
  const { ports, store, advance } = memoryPorts();
  const input = (body: Record<string, unknown>) => RecordDeploymentInput.parse(body);
  const by = { by: 'seed' };
  for (const environment of ['prod', 'dev']) {
    await recordDeployment(ports, input({ environment, imageTag: 'v1' }), by);
    advance(60_000);
    await recordDeployment(ports, input({ environment, imageTag: 'v2' }), by);
    advance(60_000);
  }
  const running = await recordDeployment(
    ports,
    input({ environment: 'prod', imageTag: 'v3-run', status: 'IN_PROGRESS' }),
    by,
  );
  advance(60_000);
  const as = (caller: string | undefined) => ({ ...ports, access: { policy: POLICY, caller } });
  const snapshot = () => JSON.stringify([...store.records.values()]) + JSON.stringify(store.outbox);
  return { ports, store, as, snapshot, inProgress: running.record };
}

describe('every use case checks its action in the environment', () => {
  it('denies each action in prod to the dev pipeline with a 403 naming environment and action, changing nothing', async () => {
    const { as, snapshot, inProgress } = await seeded();
    const dev = as(session(DEV_CI));
    const before = snapshot();
    const denied = [
      [
        'record',
        recordDeployment(dev, RecordDeploymentInput.parse({ environment: 'prod', imageTag: 'v9' }), { by: 'x' }),
      ],
      // On-call may read prod's records but not record there: refused, not hidden (a caller
      // who may not read them gets a 404: test/integration/access-policy-handlers.test.ts).
      ['record', finishDeployment(as(session(ONCALL)), inProgress.id, { status: 'DEPLOYED' })],
      ['read', listHistory(dev, { environment: 'prod', limit: 20 })],
      ['read', findRollbackTarget(dev, 'prod', undefined)],
      ['read', resolveTag(dev, 'v2', 'prod')],
      ['read', tagExists(dev, 'v2', 'prod')],
      ['rollback', rollbackDeployment(dev, { imageTag: 'v2', environment: 'prod', by: session(DEV_CI) })],
    ] as const;
    for (const [action, call] of denied) {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect(error).toMatchObject({ status: 403, environment: 'prod', action });
      expect((error as Error).message).toContain(`may not ${action} in environment prod`);
    }
    expect(snapshot()).toBe(before);
  });

  it('lets the same pipeline do all of it in dev', async () => {
    const { as } = await seeded();
    const dev = as(session(DEV_CI));
    expect((await listHistory(dev, { environment: 'dev', limit: 20 })).items).toHaveLength(2);
    expect((await rollbackDeployment(dev, { imageTag: 'v2', environment: 'dev', by: session(DEV_CI) })).status).toBe(
      'ROLLED_BACK',
    );
  });

  it('splits prod: the pipeline records but may not roll back; on-call rolls back', async () => {
    const { as, inProgress } = await seeded();
    const ci = as(session(PROD_CI));
    expect((await finishDeployment(ci, inProgress.id, { status: 'FAILED' })).status).toBe('FAILED');
    await expect(rollbackDeployment(ci, { imageTag: 'v2', environment: 'prod', by: 'ci' })).rejects.toMatchObject({
      status: 403,
      action: 'rollback',
    });
    const oncall = as(session(ONCALL, 'alice'));
    expect((await rollbackDeployment(oncall, { imageTag: 'v2', environment: 'prod', by: 'alice' })).status).toBe(
      'ROLLED_BACK',
    );
  });

  it('checks a tag rollback without an environment once resolution has found it, before writing', async () => {
    const { ports, as, snapshot } = await seeded();
    await recordDeployment(ports, RecordDeploymentInput.parse({ environment: 'prod', imageTag: 'only-prod' }), {
      by: 'seed',
    });
    const before = snapshot();
    await expect(
      rollbackDeployment(as(session(DEV_CI)), { imageTag: 'only-prod', by: session(DEV_CI) }),
    ).rejects.toMatchObject({ status: 403, environment: 'prod', action: 'rollback' });
    await expect(resolveTag(as(session(DEV_CI)), 'only-prod', undefined)).rejects.toMatchObject({
      environment: 'prod',
      action: 'read',
    });
    expect(snapshot()).toBe(before);
  });

  it('reports only the environments the caller may read when none is asked for', async () => {
    const { as } = await seeded();
    expect((await tagExists(as(session(DEV_CI)), 'v2', undefined)).environments).toEqual(['dev']);
    expect((await tagExists(as(session(AUDITOR)), 'v2', undefined)).environments).toEqual(['dev', 'prod']);
    expect((await tagExists(as(session('stranger')), 'v2', undefined)).exists).toBe(false);
  });

  it('denies a request that carries no caller at all', async () => {
    const { as } = await seeded();
    await expect(listHistory(as(undefined), { environment: 'dev', limit: 1 })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it("keeps today's behaviour without a policy: ports without access check nothing", async () => {
    const { ports } = await seeded();
    expect((await rollbackDeployment(ports, { imageTag: 'v2', environment: 'prod', by: 'anyone' })).status).toBe(
      'ROLLED_BACK',
    );
  });

  it('exempts the automated rollback: an alarm is not a caller', async () => {
    const { ports, store } = await seeded();
    const fired = ports.now().toISOString();
    const outcome = await autoRollback(
      ports,
      {
        name: 'prod-api-5xx',
        arn: `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:prod-api-5xx`,
        state: 'ALARM',
        previousState: 'OK',
        reason: 'Threshold Crossed',
        stateChangedAt: fired,
      },
      { 'prod-api-5xx': { environment: 'dev', windowMinutes: 60 } },
    );
    expect(outcome.kind).toBe('rolled-back');
    expect([...store.records.values()].filter((r) => r.status === 'ROLLED_BACK')).toHaveLength(1);
  });
});
