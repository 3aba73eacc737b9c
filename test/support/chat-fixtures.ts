/**
 * One realistic message of each event type, with fixed ids and times: the chat renderer's
 * golden files (test/golden/chat/) are rendered from these, and the property tests start from
 * them. The story: prod's v2.1.0-abc1234 breaks the 5xx alarm at 10:31, a rollback run puts
 * v2.0.0-def5678 back on the ECS service, and the environment is held until v2.2.0 ships.
 */

import type { AlarmRef } from '../../functions/core/alarm.js';
import type { ChatContext } from '../../functions/core/chat-notification.js';
import type { Deployment } from '../../functions/core/deployment.js';
import {
  environmentHeld,
  environmentReleased,
  guardBypassed,
  readinessLost,
  readinessRestored,
} from '../../functions/core/environment-notifications.js';
import type { Hold } from '../../functions/core/guards.js';
import {
  autoRollbackSkipped,
  deploymentRolledBack,
  type EventType,
  type RollbackMessage,
  rollbackRequested,
} from '../../functions/core/notifications.js';
import type { RedeployTargets } from '../../functions/core/redeploy/targets.js';
import { newRun, type Run } from '../../functions/core/run.js';
import { rollbackEnded, rollbackStarted } from '../../functions/core/run-notifications.js';
import { deploymentFixture } from './fixtures.js';

export const ALARM: AlarmRef = {
  name: 'platform-prod-api-5xx',
  arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:platform-prod-api-5xx',
  reason:
    'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (27/11/26 10:30:00)] was greater than the threshold (5.0).',
  stateChangedAt: '2026-11-27T10:31:00.873Z',
};

/** prod's redeploy target: an ECS service in the workload account. */
export const TARGETS: RedeployTargets = {
  prod: {
    via: 'ecs',
    accountId: '210987654321',
    region: 'eu-west-1',
    cluster: 'platform',
    service: 'web',
    containerName: 'app',
    passRoleArns: [],
    timeoutMinutes: 30,
    pollSeconds: 30,
    verify: { alarms: ['platform-prod-api-5xx'], bakeMinutes: 10, recoverMinutes: 15, pollSeconds: 60 },
  },
};
export const CONTEXT: ChatContext = { targets: TARGETS };

/** A complete record of prod with fixed values (every value the shared fixture would number is given). */
export function record(overrides: Partial<Deployment> & Pick<Deployment, 'id' | 'imageTag'>): Deployment {
  return deploymentFixture({
    deployedAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    deployedBy: 'arn:aws:sts::123456789012:assumed-role/ci-deployer/run-42',
    ...overrides,
  });
}

export const GOOD = record({
  id: '01JDQ4ZZ5H0K2M1N3P4Q5R6S7T',
  imageTag: 'v2.0.0-def5678',
  imageDigest: `sha256:${'4f1c'.repeat(16)}`,
  version: 'v2.0.0',
  commitSha: 'def5678',
  deployedAt: '2026-11-20T09:00:00.000Z',
  updatedAt: '2026-11-20T09:00:00.000Z',
});

export const BAD = record({
  id: '01JDQ5T2M8W3K9Z4X7V6B1N0CE',
  imageTag: 'v2.1.0-abc1234',
  version: 'v2.1.0',
  commitSha: 'abc1234',
  notes: 'Adds the invoices view (migration 0042_add_invoice_index)',
  pipelineRunUrl: 'https://ci.example.com/runs/42',
});

export const BAD_ROLLED_BACK: Deployment = {
  ...BAD,
  status: 'ROLLED_BACK',
  rolledBackAt: '2026-11-27T10:31:02.114Z',
  rolledBackBy: 'auto-rollback:platform-prod-api-5xx',
  rollbackReason: ALARM.reason,
  updatedAt: '2026-11-27T10:31:02.114Z',
};

const RUN_ID = '01JDQ6B4Y2V7R8T3K5M9N1P0RN';
const REDEPLOY_ID = '01JDQ6C8PX1Z9Y7W5V3T2S4R6Q';

const started: Run = newRun({
  id: RUN_ID,
  environment: 'prod',
  trigger: 'alarm',
  alarm: ALARM,
  requestedBy: 'auto-rollback:platform-prod-api-5xx',
  reason: ALARM.reason,
  current: BAD,
  target: GOOD,
  startedAt: '2026-11-27T10:31:01.500Z',
});

/** The run after every step, as the workflow leaves it. */
function ended(status: 'SUCCEEDED' | 'FAILED'): Run {
  const t = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 27, 10, minute, second)).toISOString();
  const detail: Record<string, string> = {
    identify: `roll back ${BAD.imageTag} (${BAD.id}) to ${GOOD.imageTag} (${GOOD.id})`,
    checks: 'target: passed (DEPLOYED in prod); image: skipped (no repository configured); migrations: passed (none)',
    mark: `${BAD.imageTag} (${BAD.id}) is ROLLED_BACK`,
    redeploy: 'ECS deployment ecs-svc/1234567890123456789 completed: 4 of 4 tasks on the new task definition',
    record: `${GOOD.imageTag} (${REDEPLOY_ID}) is DEPLOYED`,
    verify: 'platform-prod-api-5xx stayed OK for 10 minutes',
  };
  return {
    ...started,
    status,
    redeploy: {
      via: 'ecs',
      deploymentId: REDEPLOY_ID,
      externalId: 'ecs-svc/1234567890123456789',
      url: 'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/platform/services/web/deployments?region=eu-west-1',
    },
    steps: started.steps.map((step, i) => {
      const failed = status === 'FAILED' && step.name === 'verify';
      return {
        ...step,
        status: failed ? 'FAILED' : 'SUCCEEDED',
        startedAt: t(31 + i * 2),
        endedAt: t(32 + i * 2, 30),
        detail: failed
          ? 'platform-prod-api-5xx went back into ALARM 4 minutes into the 10-minute bake'
          : (detail[step.name] ?? null),
      };
    }),
    failure:
      status === 'FAILED'
        ? { step: 'verify', detail: 'platform-prod-api-5xx went back into ALARM 4 minutes into the 10-minute bake' }
        : null,
    endedAt: t(44, 30),
  };
}

const HOLD: Hold = {
  reason: `${BAD.imageTag} rolled back: ${ALARM.reason}`,
  by: 'auto-rollback:platform-prod-api-5xx',
  since: '2026-11-27T10:31:02.114Z',
  cause: { kind: 'rollback', deploymentId: BAD.id, runId: RUN_ID },
};

const stamp = (eventId: string, occurredAt: string) => ({ eventId, occurredAt });

/** One message of each event type. */
export const MESSAGES: Record<EventType, RollbackMessage> = {
  DEPLOYMENT_ROLLED_BACK: deploymentRolledBack(
    stamp('01JDQ6B4Y2V7R8T3K5M9N1P0QS', '2026-11-27T10:31:02.114Z'),
    BAD_ROLLED_BACK,
    ALARM,
  ).message,
  ROLLBACK_REQUESTED: rollbackRequested(
    stamp('01JDQ6B4Y2V7R8T3K5M9N1P0QT', '2026-11-27T10:31:02.114Z'),
    BAD_ROLLED_BACK,
    GOOD,
    ALARM,
  ).message,
  AUTO_ROLLBACK_SKIPPED: autoRollbackSkipped(
    stamp('01JDQ7C9H3K4M5N6P7Q8R9S0TV', '2026-11-27T12:05:00.020Z'),
    'prod',
    `${BAD.imageTag} (${BAD.id}) was deployed at 2026-11-27T10:00:00.000Z, more than 60 minutes before the alarm fired at 2026-11-27T12:04:59.511Z`,
    { ...ALARM, stateChangedAt: '2026-11-27T12:04:59.511Z' },
    BAD,
  ).message,
  ROLLBACK_STARTED: rollbackStarted(stamp('01JDQ6B4Y2V7R8T3K5M9N1P0QR', started.startedAt), started).message,
  ROLLBACK_SUCCEEDED: rollbackEnded(stamp('01JDQ6Z1A2B3C4D5E6F7G8H9J0', '2026-11-27T10:44:30.000Z'), ended('SUCCEEDED'))
    .message,
  ROLLBACK_FAILED: rollbackEnded(stamp('01JDQ6Z1A2B3C4D5E6F7G8H9J1', '2026-11-27T10:44:30.000Z'), ended('FAILED'))
    .message,
  ENVIRONMENT_HELD: environmentHeld(stamp('01JDQ6B4Y2V7R8T3K5M9N1P0QV', HOLD.since), 'prod', HOLD).message,
  ENVIRONMENT_RELEASED: environmentReleased(
    stamp('01JDR2K8M0N1P2Q3R4S5T6V7W8', '2026-11-27T16:02:10.000Z'),
    'prod',
    HOLD,
    {
      reason: 'v2.2.0-0a1b2c3 fixes the 5xx (invoice index migration reverted)',
      by: 'arn:aws:sts::123456789012:assumed-role/oncall/jane',
    },
  ).message,
  GUARD_BYPASSED: guardBypassed(
    stamp('01JDR1F5G6H7J8K9M0N1P2Q3R4', '2026-11-27T14:20:00.000Z'),
    record({
      id: '01JDR1F5G6H7J8K9M0N1P2Q3R5',
      imageTag: 'v2.2.0-0a1b2c3',
      status: 'IN_PROGRESS',
      version: 'v2.2.0',
      commitSha: '0a1b2c3',
      deployedAt: '2026-11-27T14:20:00.000Z',
      notes: 'Reverts the invoice index migration; fixes the 5xx',
      pipelineRunUrl: 'https://ci.example.com/runs/57',
      updatedAt: '2026-11-27T14:20:00.000Z',
    }),
    'hold',
    {
      reason: 'hotfix for the 5xx incident, approved by the incident lead',
      by: 'arn:aws:sts::123456789012:assumed-role/oncall/jane',
    },
    HOLD,
  ).message,
  ROLLBACK_READINESS_LOST: readinessLost(
    stamp('01JDS0A1B2C3D4E5F6G7H8J9K0', '2026-11-30T03:00:12.000Z'),
    'prod',
    { ready: false, checkedAt: '2026-11-30T03:00:12.000Z', failing: ['image', 'verify'] },
    [
      {
        name: 'image',
        status: 'FAILED',
        detail:
          'v2.0.0-def5678 is no longer in 210987654321.dkr.ecr.eu-west-1.amazonaws.com/web (expired by a lifecycle policy?)',
      },
      { name: 'verify', status: 'FAILED', detail: 'the alarm platform-prod-api-5xx does not exist' },
    ],
  ).message,
  ROLLBACK_READINESS_RESTORED: readinessRestored(
    stamp('01JDS3X4Y5Z6A7B8C9D0E1F2G3', '2026-11-30T09:15:40.000Z'),
    'prod',
    {
      ready: true,
      checkedAt: '2026-11-30T09:15:40.000Z',
      failing: [],
    },
  ).message,
};
