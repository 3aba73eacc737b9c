import { describe, expect, it } from 'vitest';
import { notificationOfItem } from '../../functions/adapters/outbox-item.js';
import {
  environmentHeld,
  environmentReleased,
  guardBypassed,
  readinessLost,
  readinessRestored,
} from '../../functions/core/environment-notifications.js';
import type { Hold } from '../../functions/core/guards.js';
import { EVENT_TYPES } from '../../functions/core/notifications.js';
import { deploymentFixture } from '../support/fixtures.js';

const stamp = { eventId: '01JF0000000000000000000001', occurredAt: '2026-12-02T10:00:00.000Z' };
const hold: Hold = {
  reason: 'v2.1.0-abc1234 rolled back: Threshold Crossed',
  by: 'auto-rollback:prod-api-5xx',
  since: '2026-12-02T10:00:00.000Z',
  cause: { kind: 'rollback', deploymentId: '01JC0000000000000000000001', runId: null },
};

describe("the third round's notifications", () => {
  it('are event types of their own, beside the six before them', () => {
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'ENVIRONMENT_HELD',
        'ENVIRONMENT_RELEASED',
        'GUARD_BYPASSED',
        'ROLLBACK_READINESS_LOST',
        'ROLLBACK_READINESS_RESTORED',
      ]),
    );
    expect(EVENT_TYPES).toHaveLength(11);
  });

  it('ENVIRONMENT_HELD carries the hold, with the common members', () => {
    const event = environmentHeld(stamp, 'prod', hold);
    expect(event.subject).toBe('[prod] held: no forward deployments until released');
    expect(event.message).toEqual({
      version: 1,
      eventId: stamp.eventId,
      occurredAt: stamp.occurredAt,
      eventType: 'ENVIRONMENT_HELD',
      environment: 'prod',
      hold,
    });
  });

  it("ENVIRONMENT_RELEASED carries the released hold and the release's reason and by", () => {
    const event = environmentReleased(stamp, 'prod', hold, {
      reason: 'v2.2.0 fixes it',
      by: 'arn:aws:iam::1:role/oncall',
    });
    expect(event.subject).toBe('[prod] released: forward deployments allowed again');
    expect(event.message).toMatchObject({
      eventType: 'ENVIRONMENT_RELEASED',
      environment: 'prod',
      hold,
      reason: 'v2.2.0 fixes it',
      by: 'arn:aws:iam::1:role/oncall',
    });
  });

  it('GUARD_BYPASSED carries the record, the guard, the override (or null) and the bypassed hold', () => {
    const deployment = deploymentFixture({ environment: 'eu-prod', imageTag: 'v2.2.0', status: 'IN_PROGRESS' });
    const override = { reason: 'hotfix for the incident', by: 'arn:aws:iam::1:role/oncall' };
    const event = guardBypassed(stamp, deployment, 'hold', override, hold);
    expect(event.subject).toBe('[eu-prod] guard hold bypassed: v2.2.0 IN_PROGRESS');
    expect(event.message).toMatchObject({
      eventType: 'GUARD_BYPASSED',
      environment: 'eu-prod',
      guard: 'hold',
      deployment,
      override,
      hold,
    });
    const knownBad = guardBypassed(stamp, { ...deployment, status: 'DEPLOYED' }, 'known-bad', null, null);
    expect(knownBad.message).toMatchObject({ guard: 'known-bad', override: null, hold: null });
  });

  it('ROLLBACK_READINESS_LOST names the failing checks in its subject and carries them with their details', () => {
    const readiness = { ready: false, checkedAt: stamp.occurredAt, failing: ['image' as const, 'verify' as const] };
    const checks = [
      { name: 'image' as const, status: 'FAILED' as const, detail: 'v2.0.0 is no longer in the repository' },
      { name: 'verify' as const, status: 'FAILED' as const, detail: 'alarm prod-5xx does not exist' },
    ];
    const event = readinessLost(stamp, 'prod', readiness, checks);
    expect(event.subject).toBe('[prod] ROLLBACK READINESS LOST: image, verify');
    expect(event.message).toMatchObject({ eventType: 'ROLLBACK_READINESS_LOST', readiness, checks });
    const restored = readinessRestored(stamp, 'prod', { ready: true, checkedAt: stamp.occurredAt, failing: [] });
    expect(restored.subject).toBe('[prod] rollback readiness restored');
    expect(restored.message).toMatchObject({ eventType: 'ROLLBACK_READINESS_RESTORED', readiness: { ready: true } });
  });

  it('keep SNS subjects within 100 printable ASCII characters, whatever the reason or tag', () => {
    const deployment = deploymentFixture({ imageTag: `v${'9'.repeat(127)}`, status: 'DEPLOYED' });
    const subjects = [
      guardBypassed(stamp, deployment, 'known-bad', null, null).subject,
      readinessLost(stamp, 'prod', { ready: false, checkedAt: '', failing: ['target', 'image', 'migrations'] }, [])
        .subject,
    ];
    for (const s of subjects) {
      expect(s.length).toBeLessThanOrEqual(100);
      expect(s).toMatch(/^[\x20-\x7e]+$/);
    }
  });

  it('are read back from an outbox item like every other message (the notifier accepts their types)', () => {
    const event = environmentHeld(stamp, 'prod', hold);
    const notification = notificationOfItem({
      PK: `OUTBOX#${stamp.eventId}`,
      entity: 'outbox',
      eventType: event.message.eventType,
      environment: 'prod',
      subject: event.subject,
      message: JSON.stringify(event.message),
    });
    expect(notification).toMatchObject({ eventId: stamp.eventId, eventType: 'ENVIRONMENT_HELD' });
  });
});
