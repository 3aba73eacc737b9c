import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CloudWatchHealth } from '../../functions/adapters/cloudwatch-health.js';
import { fromItem } from '../../functions/adapters/dynamodb/items.js';
import { runStore } from '../../functions/adapters/dynamodb/run-progress.js';
import { CallbackRedeployer } from '../../functions/adapters/redeploy/callback.js';
import { CommandRedeployer } from '../../functions/adapters/redeploy/command.js';
import type { Redeployer } from '../../functions/core/redeploy/port.js';
import { parseRedeployTargets, type RedeployTarget } from '../../functions/core/redeploy/targets.js';
import type { Run } from '../../functions/core/run.js';
import type { RunLauncher, RunPorts } from '../../functions/core/run-ports.js';
import type { ImageRegistry } from '../../functions/core/safety.js';
import { RecordDeploymentInput } from '../../functions/core/schemas.js';
import { recordDeployment } from '../../functions/core/use-cases/record-deployment.js';
import type { freshTable } from './dynamodb.js';

type Table = Awaited<ReturnType<typeof freshTable>>;

/** A scratch file a redeploy command appends a line to each time it runs: the target's call log. */
export function callLog() {
  const file = join(mkdtempSync(join(tmpdir(), 'redeploy-')), 'calls.log');
  return {
    file,
    /** A local `command` redeploy target (REDEPLOY_TARGETS' shape) that appends the image tag here. */
    target: { via: 'command', command: `echo "$IMAGE_TAG" >> ${file}`, pollSeconds: 1 },
    lines: () => {
      try {
        return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}

/**
 * Real ports for whole runs: the DynamoDB Local table, the real runs store, the real command
 * and callback targets, and CloudWatchHealth over the given client (aws-sdk-client-mock
 * answers at the SDK boundary). No ECR repository configured unless a target names one.
 */
export function runPortsFor(
  table: Table,
  targets: Record<string, unknown>,
  options: { cloudwatch?: CloudWatchClient; images?: ImageRegistry } = {},
): RunPorts & { launcher: RunLauncher; launched: Run[] } {
  const parsed = parseRedeployTargets(targets, 'targets');
  const runs = runStore({ client: table.client, tableName: table.tableName });
  const redeployers = new Map<string, Redeployer>();
  const launched: Run[] = [];
  const ports: RunPorts & { launcher: RunLauncher; launched: Run[] } = {
    ...table.ports,
    runs,
    targets: parsed,
    redeployerFor(environment: string, target: RedeployTarget) {
      let redeployer = redeployers.get(environment);
      if (!redeployer) {
        redeployer = target.via === 'command' ? new CommandRedeployer(target.command) : new CallbackRedeployer(ports);
        redeployers.set(environment, redeployer);
      }
      return redeployer;
    },
    images: options.images ?? {
      lookUp: async () => {
        throw new Error('no ECR in this test');
      },
    },
    health: new CloudWatchHealth(options.cloudwatch ?? new CloudWatchClient({ region: 'us-east-1' })),
    launcher: { launch: async (run) => void launched.push(run) },
    launched,
  };
  return ports;
}

export async function deploy(table: Table, environment: string, imageTag: string, extra: Record<string, unknown> = {}) {
  const input = RecordDeploymentInput.parse({ environment, imageTag, ...extra });
  return (await recordDeployment(table.ports, input, { by: 'arn:aws:iam::123456789012:role/ci' })).record;
}

/** An environment's records and outbox messages, as the table holds them. */
export async function tableState(table: Table, environment: string) {
  const items =
    (
      await table.client.send(
        new ScanCommand({
          TableName: table.tableName,
          FilterExpression: 'environment = :env AND entity IN (:d, :o)',
          ExpressionAttributeValues: { ':env': environment, ':d': 'deployment', ':o': 'outbox' },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const records = items.filter((i) => i.entity === 'deployment').map(fromItem);
  // biome-ignore lint/suspicious/noExplicitAny: message bodies are read as plain JSON
  const messages = items.filter((i) => i.entity === 'outbox').map((i) => JSON.parse(i.message) as any);
  const types = messages.map((m) => m.eventType as string).sort();
  return { records, messages, types, byId: (id: string) => records.find((r) => r.id === id) };
}
