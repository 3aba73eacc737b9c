/**
 * One rule, every surface: the same histories go to the core function, the rollback-target
 * route, POST .../rollbacks, the alarm path and the CLI's plan, and each gives the one answer
 * the rule (functions/core/rollback-target.ts) gives: the same target, or the same refusal.
 * Each surface gets its own copy of a history (an environment of its own), because a started
 * run or an alarm's rollback changes the history it acted on.
 */
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { RollbackReport } from '../../cli/rollback.js';
import { documentClient } from '../../functions/adapters/aws.js';
import { deploymentStore } from '../../functions/adapters/dynamodb/store.js';
import type { Ports } from '../../functions/core/ports.js';
import { chooseRollbackTarget, storedHistory, type TargetAnswer } from '../../functions/core/rollback-target.js';
import { autoRollback } from '../../functions/core/use-cases/auto-rollback.js';
import { alarmArnOf } from '../../infra/local/alarm-events.js';
import { LOCAL_REGION } from '../../infra/local/dynamodb-local.js';
import { BASE, localApi } from '../support/http.js';

type Surface = 'core' | 'route' | 'run' | 'alarm' | 'cli';
/** Each case: the history it seeds, and the surfaces it goes to (the route and the alarm take no target tag). */
const CASES = {
  default: { history: 'mixed', surfaces: ['core', 'route', 'run', 'alarm', 'cli'] },
  never: { history: 'mixed', surfaces: ['core', 'run', 'cli'] },
  bad: { history: 'mixed', surfaces: ['core', 'run', 'cli'] },
  none: { history: 'mixed', surfaces: ['core', 'run', 'cli'] },
  good: { history: 'mixed', surfaces: ['core', 'run', 'cli'] },
  chain: { history: 'chain', surfaces: ['core', 'route', 'run', 'alarm', 'cli'] },
} as const satisfies Record<string, { history: 'mixed' | 'chain'; surfaces: readonly Surface[] }>;
type Case = keyof typeof CASES;
const envOf = (which: Case, surface: Surface) => `${which}-${surface}`;

/** Ids, times and environment names differ from copy to copy of a history; the rest of a message must not. */
const same = (text: string, environment: string) =>
  text
    .replaceAll(environment, 'ENV')
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, 'ID')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME');

/** The refusal's words, of an answer that must be one. */
const refusedOf = (value: Said) => ('refused' in value ? value.refused : `a target: ${value.target}`);

let api: Awaited<ReturnType<typeof localApi>>;
let ports: Ports;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/**
 * `mixed`, oldest first: v1 DEPLOYED (good), v2 ROLLED_BACK (known bad), v2.5 FAILED (never
 * DEPLOYED), v3 DEPLOYED (current). `chain`: v0, v1, v2 ROLLED_BACK, and v1 again as the
 * redeploy that undid v2 (rollbackOf: the current deployment is itself a rollback).
 */
async function seed(history: 'mixed' | 'chain', environment: string) {
  const post = async (imageTag: string, minutes: number, extra: Record<string, unknown> = {}) => {
    const response = await api.call('POST', BASE, { environment, imageTag, deployedAt: minutesAgo(minutes), ...extra });
    expect(response.status).toBe(201);
    return response.body as { id: string };
  };
  const rollBack = async (imageTag: string) => {
    const response = await api.call('POST', `${BASE}/tag/${imageTag}/rollback`, { environment, reason: 'bad' });
    expect(response.status).toBe(200);
  };
  if (history === 'mixed') {
    await post('v1', 40);
    await post('v2', 30);
    await rollBack('v2');
    await post('v2.5', 20, { status: 'FAILED' });
    await post('v3', 10);
  } else {
    await post('v0', 40);
    await post('v1', 30);
    const v2 = await post('v2', 20);
    await rollBack('v2');
    await post('v1', 10, { rollbackOf: v2.id });
  }
}

beforeAll(async () => {
  const cases = Object.keys(CASES) as Case[];
  const targets = Object.fromEntries(
    cases.map((which) => [envOf(which, 'run'), { via: 'command', command: 'true', pollSeconds: 1 }]),
  );
  api = await localApi({ redeployTargets: targets });
  const client = documentClient({ region: LOCAL_REGION, dynamodbEndpoint: api.dynamodbEndpoint });
  ports = {
    deployments: deploymentStore({ client, tableName: api.tableName }),
    now: () => new Date(),
    newId: monotonicFactory(),
  };
  for (const which of cases) {
    const { history, surfaces } = CASES[which];
    for (const surface of surfaces) await seed(history, envOf(which, surface));
  }
});
afterAll(async () => api?.stop());

/** What one surface answered, reduced to what the rule decides: a target tag, or a refusal's words (ids and names made alike). */
type Said = { target: string } | { refused: string; status?: number };

async function core(environment: string, targetTag?: string, purpose: 'act' | 'read' = 'act'): Promise<TargetAnswer> {
  return chooseRollbackTarget(storedHistory(ports.deployments, environment), { environment, purpose, targetTag });
}

/** The core's answer as a surface words it: the refusal's clause (`reason`) or its sentence (`message`, the API's). */
function said(answer: TargetAnswer, environment: string, words: 'reason' | 'message'): Said {
  if (answer.ok) return { target: answer.target.imageTag };
  return { refused: same(answer.refusal[words], environment), status: answer.refusal.status };
}

async function route(environment: string): Promise<Said> {
  const response = await api.call('GET', `${BASE}/rollback-target?environment=${environment}`);
  return response.status === 200
    ? { target: response.body.target.imageTag }
    : { refused: same(response.body.detail, environment), status: response.status };
}

async function run(environment: string, targetImageTag?: string): Promise<Said> {
  const response = await api.call('POST', `${BASE}/rollbacks`, {
    environment,
    reason: 'one rule',
    ...(targetImageTag ? { targetImageTag } : {}),
  });
  if (response.status !== 202) return { refused: same(response.body.detail, environment), status: response.status };
  // Let the run end before the next surface looks: it changes only its own environment.
  for (let i = 0; i < 150; i++) {
    const state = (await api.call('GET', `${BASE}/rollbacks/${response.body.id}`)).body;
    if (state.status !== 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { target: response.body.target.imageTag };
}

async function alarm(environment: string): Promise<Said> {
  const name = `${environment}-5xx`;
  const outcome = await autoRollback(
    ports,
    {
      name,
      arn: alarmArnOf(name),
      state: 'ALARM',
      previousState: 'OK',
      reason: 'Threshold Crossed',
      stateChangedAt: new Date().toISOString(),
    },
    { [name]: { environment, windowMinutes: 60 } },
  );
  if (outcome.kind === 'rolled-back') return { target: outcome.target.imageTag };
  if (outcome.kind === 'skipped') return { refused: same(outcome.reason, environment) };
  throw new Error(`unexpected alarm outcome ${outcome.kind}`);
}

/** The CLI's plan: its target, or the failed target check's detail (a refused --to), or its error (the API's words). */
async function cli(environment: string, to?: string): Promise<{ said: Said; code: number; report: RollbackReport }> {
  let stdout = '';
  const code = await main(['plan', '-e', environment, ...(to ? ['--to', to] : []), '--json'], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: () => true },
    env: { ...process.env, PLATFORM_ROLLBACK_API_URL: api.url },
    confirm: undefined,
  });
  const report = JSON.parse(stdout) as RollbackReport;
  if (report.target) return { said: { target: report.target.imageTag }, code, report };
  const check = report.checks.find((c) => c.id === 'target-record' && c.status === 'failed');
  if (check) return { said: { refused: same(check.detail, environment) }, code, report };
  const error = report.error;
  return { said: { refused: same(error?.detail ?? report.message, environment), status: error?.status }, code, report };
}

describe('one rule: the same history gives the same answer on every surface', () => {
  it('the default rule skips the known-bad and the never-DEPLOYED tags: every surface goes to v1', async () => {
    const expected = said(await core(envOf('default', 'core')), envOf('default', 'core'), 'reason');
    expect(expected).toEqual({ target: 'v1' });
    expect(await route(envOf('default', 'route'))).toEqual(expected);
    expect(await run(envOf('default', 'run'))).toEqual(expected);
    expect(await alarm(envOf('default', 'alarm'))).toEqual(expected);
    const plan = await cli(envOf('default', 'cli'));
    expect(plan.said).toEqual(expected);
    expect(plan.code).toBe(0);
    expect(plan.report.between.map((d) => d.imageTag)).toEqual(['v3', 'v2.5', 'v2']);
  });

  it.each([
    ['a tag never DEPLOYED there', 'never', 'v2.5', 'never-deployed'],
    ['a known-bad tag', 'bad', 'v2', 'known-bad'],
    ['a tag with no record there', 'none', 'v9', 'no-such-tag'],
  ] as const)('--to / targetImageTag %s: refused alike by the core, a run and the CLI', async (_, which, tag, kind) => {
    const answer = await core(envOf(which, 'core'), tag);
    expect(answer.ok ? null : answer.refusal.kind).toBe(kind);
    // A run answers with the rule's sentence (404: nothing to roll back to) and starts nothing.
    expect(await run(envOf(which, 'run'), tag)).toEqual(said(answer, envOf(which, 'core'), 'message'));
    expect((await api.call('GET', `${BASE}/rollbacks?environment=${envOf(which, 'run')}`)).body.items).toEqual([]);
    // The CLI shows the rule's clause as its failed target check, and changes nothing (exit 2).
    const plan = await cli(envOf(which, 'cli'), tag);
    expect(plan.said).toEqual({ refused: refusedOf(said(answer, envOf(which, 'core'), 'reason')) });
    expect(plan.code).toBe(2);
  });

  it('--to / targetImageTag a good older tag: the same target on the core, a run and the CLI', async () => {
    const expected = said(await core(envOf('good', 'core'), 'v1'), envOf('good', 'core'), 'reason');
    expect(expected).toEqual({ target: 'v1' });
    expect(await run(envOf('good', 'run'), 'v1')).toEqual(expected);
    expect((await cli(envOf('good', 'cli'), 'v1')).said).toEqual(expected);
  });

  it('a rollback of a rollback: every surface that acts refuses it, for the same reason; a read still answers', async () => {
    const environment = envOf('chain', 'core');
    const answer = await core(environment);
    expect(answer.ok ? null : answer.refusal.kind).toBe('current-is-rollback');
    const sentence = said(answer, environment, 'message');
    expect(sentence).toMatchObject({ status: 409, refused: expect.stringMatching(/is itself a rollback \(of ID\)/) });
    expect(await run(envOf('chain', 'run'))).toEqual(sentence);
    const plan = await cli(envOf('chain', 'cli'));
    expect(plan.said).toEqual(sentence);
    expect(plan.code).toBe(1);
    // The alarm publishes the clause in its AUTO_ROLLBACK_SKIPPED.
    expect(await alarm(envOf('chain', 'alarm'))).toEqual({ refused: refusedOf(said(answer, environment, 'reason')) });
    // The route only asks "what would the target be": the rule's answer for a read.
    const read = said(await core(environment, undefined, 'read'), environment, 'reason');
    expect(read).toEqual({ target: 'v0' });
    expect(await route(envOf('chain', 'route'))).toEqual(read);
  });
});
