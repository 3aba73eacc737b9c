/**
 * The `callback` redeploy target: the CD pipeline redeploys. `start` publishes
 * ROLLBACK_REQUESTED (through the outbox, once per run: its claim is keyed by the run), and
 * `check` waits until the pipeline records the redeploy with POST .../deployments and
 * `rollbackOf` = the rolled-back id. That record is the redeploy: the run creates none.
 * The workflow bounds the wait by the environment's timeoutMinutes.
 */
import { DuplicateEventError } from '../../core/errors.js';
import { rollbackRequested } from '../../core/notifications.js';
import type { Ports } from '../../core/ports.js';
import type { Redeployer, RedeployHandle, RedeployProgress, RedeployRequest } from '../../core/redeploy/port.js';
import { findRedeployRecord } from '../../core/use-cases/run-steps.js';

export class CallbackRedeployer implements Redeployer {
  readonly via = 'callback' as const;

  constructor(private readonly ports: Ports) {}

  async start(request: RedeployRequest): Promise<RedeployHandle> {
    const stamp = { eventId: this.ports.newId(), occurredAt: this.ports.now().toISOString() };
    try {
      await this.ports.deployments.emit([rollbackRequested(stamp, request.current, request.target, null)], {
        dedupKey: `RUN#${request.runId}#requested`,
      });
    } catch (error) {
      // A replay: the request was published by the first attempt.
      if (!(error instanceof DuplicateEventError)) throw error;
    }
    return { via: this.via, externalId: `rollbackOf:${request.current.id}`, url: null };
  }

  async check(request: RedeployRequest): Promise<RedeployProgress> {
    const record = await findRedeployRecord(this.ports, {
      environment: request.environment,
      current: { id: request.current.id, imageTag: request.current.imageTag },
    });
    if (!record) return { status: 'RUNNING', detail: `waiting for the pipeline to record ${request.target.imageTag}` };
    const what = `${record.imageTag} (${record.id})`;
    if (record.status === 'DEPLOYED') return { status: 'SUCCEEDED', detail: `the pipeline recorded ${what} DEPLOYED` };
    if (record.status === 'IN_PROGRESS') return { status: 'RUNNING', detail: `the pipeline is deploying ${what}` };
    return { status: 'FAILED', detail: `the pipeline recorded ${what} ${record.status}` };
  }
}
