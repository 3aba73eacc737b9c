/**
 * Warm latency: each route's handler module called in-process against DynamoDB Local, each
 * call followed by the very DynamoDB requests that call made, sent again straight through a
 * bare DynamoDBDocumentClient (the floor). The difference is what our code adds per request:
 * parsing, validation, mapping, logging.
 */

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { documentClient } from '../functions/adapters/aws.js';
import type { Deployment } from '../functions/core/deployment.js';
import type { HttpEvent, HttpHandler } from '../functions/lib/http.js';
import { BASE_PATH, FALLBACK, ROUTES } from '../functions/routes.js';
import { httpEvent, SAMPLE_RECORD } from './events.js';
import { ROOT } from './lib/paths.js';
import { median, quantile } from './lib/stats.js';
import type { History } from './seed.js';

export interface Latency {
  route: string;
  calls: number;
  /** DynamoDB requests per call (the same in handler and floor). */
  requests: number;
  handler: { p50: number; p99: number };
  floor: { p50: number; p99: number };
}

/** The fixtures a latency run aims at: a seeded history and records to change, two per call. */
export interface LatencyFixtures {
  history: History;
  /** DEPLOYED records, each with its own tag, to roll back. */
  deployed: Deployment[];
  /** IN_PROGRESS records to finish. */
  inProgress: Deployment[];
}

export type Command = { constructor: new (input: unknown) => unknown; input: unknown };
type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;

/**
 * Records the commands every DynamoDBDocumentClient sends while `recording` is set, so the floor
 * can send exactly the same ones. Patches the prototype (undone by the returned function)
 * because the handlers' client is built inside their module, out of reach.
 */
export function recorder() {
  const proto = DynamoDBDocumentClient.prototype as unknown as { send: Send };
  const original = proto.send;
  const state: { recording: Command[] | undefined } = { recording: undefined };
  proto.send = function (this: unknown, command: unknown, ...rest: unknown[]) {
    state.recording?.push(command as Command);
    return original.call(this, command, ...rest);
  };
  return {
    state,
    restore: () => {
      proto.send = original;
    },
  };
}

/** How one route is called: its i-th event, and how to aim the floor's copy at fresh records. */
export interface Case {
  route: string;
  event: (i: number) => HttpEvent;
  /** Pairs [in the handler's requests, in the floor's]; written routes need fresh records. */
  substitutions?: (i: number, body: string) => [string, string][];
  /** A route the bench has no tailored call for: any answer but a 5xx will do. */
  generic?: true;
}

export function cases(f: LatencyFixtures): Case[] {
  const { history: h } = f;
  const pairOf = (records: Deployment[], i: number): [string, string][] => {
    const [a, b] = [records[2 * i], records[2 * i + 1]];
    if (!a || !b) throw new Error('not enough records to change');
    return [
      [a.id, b.id],
      [a.deployedAt, b.deployedAt],
      [a.imageTag, b.imageTag],
    ];
  };
  const record = { environment: 'fodder', ...SAMPLE_RECORD };
  const tailored: Case[] = [
    { route: 'ListHistory', event: () => httpEvent('GET', `${BASE_PATH}/history?environment=${h.environment}`) },
    { route: 'ListEnvironments', event: () => httpEvent('GET', `${BASE_PATH}/environments`) },
    {
      route: 'GetRollbackTarget',
      event: () => httpEvent('GET', `${BASE_PATH}/rollback-target?environment=${h.environment}`),
    },
    {
      route: 'GetDeploymentByTag',
      event: () => httpEvent('GET', `${BASE_PATH}/tag/${h.hotTag}?environment=${h.environment}`),
    },
    {
      route: 'TagExists',
      event: () => httpEvent('GET', `${BASE_PATH}/tag/${h.hotTag}/exists?environment=${h.environment}`),
    },
    {
      route: 'RecordDeployment',
      event: () => httpEvent('POST', BASE_PATH, record),
      substitutions: (_i, body) => [[(JSON.parse(body) as Deployment).id, ulid()]],
    },
    {
      route: 'FinishDeployment',
      event: (i) => httpEvent('PATCH', `${BASE_PATH}/${f.inProgress[2 * i]?.id}`, { status: 'DEPLOYED' }),
      substitutions: (i) => pairOf(f.inProgress, i),
    },
    {
      route: 'RollbackDeployment',
      event: (i) =>
        httpEvent('POST', `${BASE_PATH}/tag/${f.deployed[2 * i]?.imageTag}/rollback?environment=fodder`, {
          reason: 'bench',
        }),
      substitutions: (i) => pairOf(f.deployed, i),
    },
    { route: 'Fallback', event: () => httpEvent('GET', '/api/v1/no-such-route') },
  ];
  // Every other route of the table gets a generic call (parameters filled in, the seeded
  // environment, an empty JSON body), so a new route is measured before it gets a case here.
  const covered = new Set(tailored.map((c) => c.route));
  const generic = ROUTES.filter((r) => !covered.has(r.id)).map(
    (r): Case => ({
      route: r.id,
      event: () =>
        httpEvent(
          r.method,
          `${r.path.replace(/\{\w+\}/g, h.hotTag)}?environment=${h.environment}`,
          r.method === 'GET' ? undefined : {},
        ),
      generic: true,
    }),
  );
  return [...tailored, ...generic];
}

/** The answer a case's call must get: the fallback's 404, any non-5xx for a generic call, else a 2xx. */
export function answeredAsExpected(c: Case, status: number | undefined): boolean {
  const code = status ?? 500;
  if (c.route === 'Fallback') return code === 404;
  return c.generic ? code < 500 : code < 300;
}

export function retarget(command: Command, pairs: [string, string][]): unknown {
  let text = JSON.stringify(command.input);
  for (const [from, to] of pairs) text = text.split(from).join(to);
  return JSON.parse(text);
}

/**
 * Calls each route `calls` times after `warmup` unmeasured calls, alternating handler and floor.
 * The handlers read their configuration from the environment at import, so the caller sets
 * TABLE_NAME and DYNAMODB_ENDPOINT first. Needs 2 × (warmup + calls) records of each kind.
 */
export async function measureLatency(
  fixtures: LatencyFixtures,
  options: { endpoint: string; region: string; calls: number; warmup: number },
): Promise<Latency[]> {
  const floorClient = documentClient({ region: options.region, dynamodbEndpoint: options.endpoint });
  const entries = new Map([...ROUTES, FALLBACK].map((r) => [r.id, r.entry]));
  const { state, restore } = recorder();
  const results: Latency[] = [];
  try {
    for (const c of cases(fixtures)) {
      const entry = entries.get(c.route);
      if (!entry) throw new Error(`no route ${c.route}`);
      const { handler } = (await import(pathToFileURL(join(ROOT, entry)).href)) as { handler: HttpHandler };
      const handlerMs: number[] = [];
      const floorMs: number[] = [];
      let requests = 0;
      for (let i = 0; i < options.warmup + options.calls; i++) {
        const event = c.event(i);
        const sent: Command[] = [];
        state.recording = sent;
        let started = performance.now();
        const result = await handler(event);
        const handlerTime = performance.now() - started;
        state.recording = undefined;
        if (!answeredAsExpected(c, result.statusCode)) {
          throw new Error(`${c.route} answered ${result.statusCode}: ${result.body}`);
        }
        const pairs = c.substitutions?.(i, result.body ?? '{}');
        const floor = sent.map((command) => ({
          Ctor: command.constructor,
          input: pairs ? retarget(command, pairs) : command.input,
        }));
        started = performance.now();
        for (const { Ctor, input } of floor) await floorClient.send(new Ctor(input) as never);
        const floorTime = performance.now() - started;
        if (i >= options.warmup) {
          handlerMs.push(handlerTime);
          floorMs.push(floorTime);
          requests = sent.length;
        }
      }
      results.push({
        route: c.route,
        calls: options.calls,
        requests,
        handler: { p50: median(handlerMs), p99: quantile(handlerMs, 0.99) },
        floor: { p50: median(floorMs), p99: quantile(floorMs, 0.99) },
      });
    }
  } finally {
    restore();
    floorClient.destroy();
  }
  return results;
}
