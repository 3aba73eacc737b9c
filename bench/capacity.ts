/**
 * DynamoDB cost per call: every use case run through the real DynamoDB store (deploymentStore) against
 * DynamoDB Local, with ReturnConsumedCapacity TOTAL, on a history of 1,000 records and on one
 * of 100,000. A call whose cost grows with the history would make the service dearer the
 * longer a team uses it; the ratio between the two sizes shows it.
 */
import { randomBytes } from 'node:crypto';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { readinessStore } from '../functions/adapters/dynamodb/readiness.js';
import { deploymentStore } from '../functions/adapters/dynamodb/store.js';
import type { HistoryPorts } from '../functions/core/ports.js';
import { findRollbackTarget } from '../functions/core/use-cases/find-rollback-target.js';
import { finishDeployment } from '../functions/core/use-cases/finish-deployment.js';
import { getMetrics, windowOf } from '../functions/core/use-cases/get-metrics.js';
import { listEnvironments } from '../functions/core/use-cases/list-environments.js';
import { listHistory } from '../functions/core/use-cases/list-history.js';
import { recordDeployment } from '../functions/core/use-cases/record-deployment.js';
import { type RefreshPorts, refreshReadiness } from '../functions/core/use-cases/refresh-readiness.js';
import { resolveTag, tagExists } from '../functions/core/use-cases/resolve-tag.js';
import { rollbackDeployment } from '../functions/core/use-cases/rollback-deployment.js';
import type { History } from './seed.js';

export interface Cost {
  read: number;
  write: number;
  requests: number;
}

export interface CallCost {
  call: string;
  route: string;
  small: Cost;
  large: Cost;
  /**
   * For a call whose cost follows the records of a time window (metrics), not the history:
   * what one plain Query of that window's key range costs at each size, and how many
   * records it holds. Such a call is held to that floor instead of to flatness.
   */
  window?: { small: Cost & { records: number }; large: Cost & { records: number } };
}

/** The store's operations that write (its transactions and updates); all others read. */
const WRITES = new Set(['create', 'finish', 'rollback', 'emit', 'readiness.save']);
const BY = 'arn:aws:sts::123456789012:assumed-role/ci-deployer/bench';

interface Call {
  call: string;
  route: string;
  /** Unmeasured set-up; its result is handed to `run`. */
  prepare?: (ports: HistoryPorts, h: History) => Promise<string>;
  run: (ports: HistoryPorts, h: History, prepared: string) => Promise<unknown>;
  /** The time window the call reads, for a call whose cost follows a window (see CallCost). */
  window?: () => { from: string; to: string };
}

/** The metrics' default window (the last 90 days), as the route resolves it. */
const ninetyDays = () => {
  const { start, end } = windowOf({}, new Date());
  return { from: start, to: end };
};

/** In this order: the reads first, then the writes, which change the history they run on. */
const CALLS: Call[] = [
  ...[5, 20, 100].map((limit) => ({
    call: `history, page of ${limit}`,
    route: 'ListHistory',
    run: (p: HistoryPorts, h: History) => listHistory(p, { environment: h.environment, limit }),
  })),
  {
    call: 'get by tag (deployed 1 in 10)',
    route: 'GetDeploymentByTag',
    run: (p, h) => resolveTag(p, h.hotTag, h.environment),
  },
  { call: 'exists, one environment', route: 'TagExists', run: (p, h) => tagExists(p, h.hotTag, h.environment) },
  { call: 'exists, all environments', route: 'TagExists', run: (p, h) => tagExists(p, h.hotTag, undefined) },
  {
    call: 'rollback target, latest',
    route: 'GetRollbackTarget',
    run: (p, h) => findRollbackTarget(p, h.environment, undefined),
  },
  {
    call: 'rollback target, by tag',
    route: 'GetRollbackTarget',
    run: (p, h) => findRollbackTarget(p, h.environment, h.current.imageTag),
  },
  {
    call: 'environments',
    route: 'ListEnvironments',
    run: (p) => listEnvironments({ ...p, redeployVia: () => null }),
  },
  {
    call: 'readiness refresh (evaluate, store the summary)',
    route: 'ReadinessRefresh',
    run: (p, h) => refreshReadiness(refreshPortsOf(p), h.environment),
  },
  {
    call: 'metrics, 90-day window, weekly',
    route: 'GetMetrics',
    run: (p, h) => getMetrics(p, { environment: h.environment, interval: 'week' }),
    window: ninetyDays,
  },
  {
    call: 'rollback',
    route: 'RollbackDeployment',
    run: (p, h) => rollbackDeployment(p, { imageTag: h.current.imageTag, environment: h.environment, by: BY }),
  },
  {
    call: 'record',
    route: 'RecordDeployment',
    run: (p, h) => recordDeployment(p, recordInput(h, 'DEPLOYED'), { by: BY }),
  },
  {
    call: 'record, Idempotency-Key',
    route: 'RecordDeployment',
    run: (p, h) => recordDeployment(p, recordInput(h, 'DEPLOYED'), { by: BY, idempotencyKey: `bench-${p.newId()}` }),
  },
  {
    call: 'finish',
    route: 'FinishDeployment',
    prepare: async (p, h) => (await recordDeployment(p, recordInput(h, 'IN_PROGRESS'), { by: BY })).record.id,
    run: (p, _h, id) => finishDeployment(p, id, { status: 'DEPLOYED' }),
  },
];

function recordInput(h: History, status: 'DEPLOYED' | 'IN_PROGRESS') {
  return {
    environment: h.environment,
    imageTag: 'v3.0.0-abc1234',
    status,
    version: 'v3.0.0',
    commitSha: 'abc1234',
    notes: 'Adds the invoices view',
    migrations: [{ id: '0042_add_invoice_index', reversible: true }],
    pipelineRunUrl: 'https://ci.example.com/runs/42',
  };
}

function portsOver(
  client: DynamoDBDocumentClient,
  tableName: string,
  log: [string, ConsumedCapacity[]][],
): HistoryPorts {
  const table = {
    client,
    tableName,
    onCapacity: (operation: string, consumed: ConsumedCapacity[]) => log.push([operation, consumed]),
  };
  const deployments = deploymentStore(table);
  const ports = {
    deployments,
    now: () => new Date(),
    newId: monotonicFactory(),
    cursorKey: randomBytes(32).toString('hex'),
  };
  refreshTables.set(ports, readinessStore(table));
  return ports;
}

/** The readiness store over the same table and capacity log as the ports. */
const refreshTables = new WeakMap<HistoryPorts, RefreshPorts['readinessStore']>();

/**
 * The refresh's ports: the table's reads and readiness store, measured; the AWS lookups
 * (ECR, ECS, CloudWatch) answer at once, since they cost no DynamoDB capacity.
 */
function refreshPortsOf(ports: HistoryPorts): RefreshPorts {
  const readiness = refreshTables.get(ports);
  if (!readiness) throw new Error('ports not made by portsOver');
  return {
    ...ports,
    targets: {},
    images: { lookUp: async () => ({ kind: 'found', digest: undefined }) },
    targetProbe: { probe: async () => ({ kind: 'ok', detail: 'there' }) },
    alarmProbe: { missing: async () => ({ kind: 'ok', missing: [] }) },
    readinessStore: readiness,
  };
}

function costOf(log: [string, ConsumedCapacity[]][]): Cost {
  const cost: Cost = { read: 0, write: 0, requests: log.length };
  for (const [operation, consumed] of log) {
    for (const c of consumed) {
      const units = c.CapacityUnits ?? 0;
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        cost.read += c.ReadCapacityUnits ?? 0;
        cost.write += c.WriteCapacityUnits ?? 0;
      } else if (WRITES.has(operation)) cost.write += units;
      else cost.read += units;
    }
  }
  return cost;
}

async function measureOne(client: DynamoDBDocumentClient, tableName: string, history: History) {
  const log: [string, ConsumedCapacity[]][] = [];
  const ports = portsOver(client, tableName, log);
  const costs = new Map<string, Cost>();
  const windows = new Map<string, Cost & { records: number }>();
  for (const call of CALLS) {
    const prepared = call.prepare ? await call.prepare(ports, history) : '';
    log.length = 0;
    await call.run(ports, history, prepared);
    costs.set(call.call, costOf(log));
    if (call.window) {
      // The floor: the window's records read with one plain Query (paged), nothing else.
      log.length = 0;
      let records = 0;
      for await (const _ of ports.deployments.range(history.environment, call.window())) records++;
      windows.set(call.call, { ...costOf(log), records });
    }
  }
  return { costs, windows };
}

/** Runs every call on both histories and pairs the costs. */
export async function measureCapacity(
  client: DynamoDBDocumentClient,
  small: { tableName: string; history: History },
  large: { tableName: string; history: History },
): Promise<CallCost[]> {
  const a = await measureOne(client, small.tableName, small.history);
  const b = await measureOne(client, large.tableName, large.history);
  return CALLS.map((c) => {
    const small = a.windows.get(c.call);
    const large = b.windows.get(c.call);
    return {
      call: c.call,
      route: c.route,
      small: a.costs.get(c.call) as Cost,
      large: b.costs.get(c.call) as Cost,
      ...(small && large ? { window: { small, large } } : {}),
    };
  });
}
