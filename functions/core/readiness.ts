/**
 * Rollback readiness: would a rollback of this environment work right now? Not a second
 * implementation of anything: the rollback target rule (rollback-target.ts) and the run's
 * own safety checks (safety.ts) evaluated now, plus two checks of what a run would act on:
 *
 * - `target`, `image`, `migrations`: safetyChecks over chooseRollbackTarget's answer, the
 *   checks a run's `checks` step makes (the notes check informs and blocks nothing: not shown);
 * - `redeploy-target`: a redeploy target is configured, and what it would act on exists (the
 *   ECS service, running a task definition with the named container, and the target's image
 *   where the target names its repository; the pipeline); through the TargetProbe port;
 * - `verify`: the alarms a run would bake on exist (CloudWatch DescribeAlarms, the AlarmProbe
 *   port).
 *
 * A check that cannot be made (an AWS API down or throttled, access denied) is SKIPPED with
 * why, never FAILED: readiness must not cry wolf at 3 a.m. With no target, `target` is FAILED
 * ("nothing to roll back to") and every other check SKIPPED.
 *
 * The walk of the history is bounded (READINESS_WALK_LIMIT records), so that a refresh costs
 * a bounded number of reads whatever the history's length; where the limit cuts the walk
 * before a target is found, `target` is SKIPPED saying so.
 */
import type { Deployment } from './deployment.js';
import { NotFoundError } from './errors.js';
import type { ReadinessCheck, ReadinessCheckName, ReadinessSummary } from './guards.js';
import type { ReadPorts } from './ports.js';
import type { RedeployTarget, VerifyConfig } from './redeploy/targets.js';
import { chooseRollbackTarget, type RecordedHistory, storedHistory } from './rollback-target.js';
import { type CheckResult, type ImageLookup, type ImageRegistry, safetyChecks } from './safety.js';

/** The most records one evaluation reads (newest first): a target is almost always among the first few. */
export const READINESS_WALK_LIMIT = 100;

/** What a probe of an AWS resource found: it is there, it is not (FAILED), or it could not be asked (SKIPPED). */
export type ProbeResult =
  | { kind: 'ok'; detail: string }
  | { kind: 'missing'; detail: string }
  | { kind: 'error'; detail: string };

/** Looks at the resource a redeploy target would act on (ECS, CodePipeline adapters). */
export interface TargetProbe {
  probe(environment: string, target: RedeployTarget, record: Deployment): Promise<ProbeResult>;
}

/** Which of a run's verify alarms exist (CloudWatch DescribeAlarms). */
export interface AlarmProbe {
  missing(names: readonly string[]): Promise<{ kind: 'ok'; missing: string[] } | { kind: 'error'; detail: string }>;
}

/** What evaluating readiness needs: the records' reads, the targets, and the three lookups. */
export interface ReadinessPorts extends ReadPorts {
  targets: Readonly<Record<string, RedeployTarget>>;
  images: ImageRegistry;
  targetProbe: TargetProbe;
  alarmProbe: AlarmProbe;
}

/** GET .../environments/{environment}/readiness. */
export interface Readiness {
  environment: string;
  ready: boolean;
  checkedAt: string;
  current: Deployment | null;
  target: Deployment | null;
  checks: ReadinessCheck[];
}

const result = (name: ReadinessCheckName, status: ReadinessCheck['status'], detail: string): ReadinessCheck => ({
  name,
  status,
  detail,
});

/** The history, cut after `limit` records; `cut()` says whether the walk reached the limit. */
function boundedHistory(history: RecordedHistory, limit: number): RecordedHistory & { cut(): boolean } {
  let reached = false;
  return {
    hasTag: (tag) => history.hasTag(tag),
    cut: () => reached,
    async *newestFirst() {
      let read = 0;
      for await (const record of history.newestFirst()) {
        if (read === limit) {
          reached = true;
          return;
        }
        read += 1;
        yield record;
      }
    },
  };
}

/** The registry, remembering whether its lookup failed (the check could not be made). */
function recordingRegistry(images: ImageRegistry) {
  let last: ImageLookup | undefined;
  return {
    registry: {
      lookUp: async (repository: string, imageTag: string) => {
        last = await images.lookUp(repository, imageTag);
        return last;
      },
    } satisfies ImageRegistry,
    errored: () => last?.kind === 'error',
  };
}

const STATUS = { passed: 'PASSED', failed: 'FAILED', skipped: 'SKIPPED' } as const;

/** A safety check in readiness's words: the same result, the status upper-case. */
function fromSafety(name: ReadinessCheckName, check: CheckResult | undefined): ReadinessCheck {
  if (!check) return result(name, 'SKIPPED', 'not checked');
  const items = check.status === 'failed' && check.items.length > 0 ? `: ${check.items.join('; ')}` : '';
  return result(name, STATUS[check.status], `${check.detail}${items}`);
}

/** The `redeploy-target` check: configured, and what it acts on exists. */
export async function redeployTargetCheck(
  ports: Pick<ReadinessPorts, 'targetProbe'>,
  environment: string,
  target: RedeployTarget | undefined,
  record: Deployment,
): Promise<ReadinessCheck> {
  if (!target) return result('redeploy-target', 'SKIPPED', 'no redeploy target configured: pipelines roll back');
  if (target.via !== 'ecs' && target.via !== 'codepipeline') {
    return result('redeploy-target', 'PASSED', `${target.via} configured (nothing in AWS to look up)`);
  }
  const probe = await ports.targetProbe.probe(environment, target, record);
  switch (probe.kind) {
    case 'ok':
      return result('redeploy-target', 'PASSED', probe.detail);
    case 'missing':
      return result('redeploy-target', 'FAILED', probe.detail);
    case 'error':
      return result('redeploy-target', 'SKIPPED', `could not check: ${probe.detail}`);
  }
}

/** The `verify` check: the alarms a run would bake on exist. */
export async function verifyCheck(
  ports: Pick<ReadinessPorts, 'alarmProbe'>,
  verify: VerifyConfig | undefined,
): Promise<ReadinessCheck> {
  if (!verify) return result('verify', 'SKIPPED', 'no redeploy target configured: no run to verify');
  if (verify.alarms.length === 0) {
    return verify.healthUrl
      ? result('verify', 'PASSED', `a run verifies with the health URL ${verify.healthUrl}`)
      : result('verify', 'SKIPPED', 'no verify alarms configured: a run would bake without a health signal');
  }
  const answer = await ports.alarmProbe.missing(verify.alarms);
  if (answer.kind === 'error') return result('verify', 'SKIPPED', `could not check: ${answer.detail}`);
  if (answer.missing.length > 0) {
    return result('verify', 'FAILED', `verify alarm(s) not found in CloudWatch: ${answer.missing.join(', ')}`);
  }
  return result('verify', 'PASSED', `${verify.alarms.length} verify alarm(s) exist: ${verify.alarms.join(', ')}`);
}

/**
 * Evaluates an environment's readiness (the route, and every refresh).
 *
 * 1. The rollback target rule for a read, over at most READINESS_WALK_LIMIT records; no record
 *    at all is NotFoundError (404).
 * 2. The run's safety checks over its answer (the image looked up in the target's
 *    `ecrRepository`, as a run's checks step does); an image lookup that failed is SKIPPED.
 * 3. With a target: `redeploy-target` and `verify`; without one, both SKIPPED.
 */
export async function evaluateReadiness(ports: ReadinessPorts, environment: string): Promise<Readiness> {
  const checkedAt = ports.now().toISOString();
  const history = boundedHistory(storedHistory(ports.deployments, environment), READINESS_WALK_LIMIT);
  const answer = await chooseRollbackTarget(history, { environment, purpose: 'read' });
  if (!answer.ok && answer.current === null) throw new NotFoundError(`No deployments in ${environment}.`);
  const current = answer.current;
  const configured = ports.targets[environment];
  if (!answer.ok) {
    const none = 'no target to check';
    const cut = history.cut();
    const target = cut
      ? result(
          'target',
          'SKIPPED',
          `no target among the newest ${READINESS_WALK_LIMIT} records; older ones are not read by readiness (the rollback target route reads them all)`,
        )
      : result('target', 'FAILED', `nothing to roll back to: ${answer.refusal.reason}`);
    const checks = [
      target,
      ...(['image', 'migrations', 'redeploy-target', 'verify'] as const).map((name) => result(name, 'SKIPPED', none)),
    ];
    return summarise(environment, checkedAt, current, null, checks);
  }
  const images = recordingRegistry(ports.images);
  const safety = await safetyChecks({ images: images.registry }, answer, {
    environment,
    repository: configured?.ecrRepository,
  });
  const byId = (id: CheckResult['id']) => safety.find((c) => c.id === id);
  const image = fromSafety('image', byId('container-image'));
  const checks = [
    fromSafety('target', byId('target-record')),
    images.errored() ? { ...image, status: 'SKIPPED' as const } : image,
    fromSafety('migrations', byId('migrations')),
    await redeployTargetCheck(ports, environment, configured, answer.target),
    await verifyCheck(ports, configured?.verify),
  ];
  return summarise(environment, checkedAt, current, answer.target, checks);
}

function summarise(
  environment: string,
  checkedAt: string,
  current: Deployment | null,
  target: Deployment | null,
  checks: ReadinessCheck[],
): Readiness {
  return { environment, ready: checks.every((c) => c.status !== 'FAILED'), checkedAt, current, target, checks };
}

/** The environment item's summary of a readiness. */
export function summaryOf(readiness: Readiness): ReadinessSummary {
  return {
    ready: readiness.ready,
    checkedAt: readiness.checkedAt,
    failing: readiness.checks.filter((c) => c.status === 'FAILED').map((c) => c.name),
  };
}

/**
 * What a refresh publishes, from the summary it replaces: LOST where a ready environment is no
 * longer ready, RESTORED where one that had lost it is ready again; nothing on the first
 * evaluation (no previous summary) or where readiness did not change.
 */
export function transitionOf(previous: ReadinessSummary | null, next: ReadinessSummary): 'lost' | 'restored' | null {
  if (previous === null) return null;
  if (previous.ready && !next.ready) return 'lost';
  if (!previous.ready && next.ready) return 'restored';
  return null;
}
