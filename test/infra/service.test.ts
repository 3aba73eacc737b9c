import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../functions/adapters/table-schema.js';
import { FALLBACK, ROUTES } from '../../functions/routes.js';
import { createService, type Service } from '../../infra/app.js';
import { BANNER, NODE_MAJOR, REPO_ROOT } from '../../infra/bundling.js';
import { AutoRollback } from '../../infra/constructs/auto-rollback.js';
import { alarmArnOf, eventBridgeEvent } from '../../infra/local/alarm-events.js';
import { cfnLint } from '../support/cfn-lint.js';
import { grantsTableFunctions, OTHER_FUNCTIONS } from '../support/docs-tables.js';
import { deliveredBy, MOTO_ACCOUNT, MOTO_REGION, resolvePseudo } from '../support/event-rules.js';

/**
 * The deployed shape, checked offline. The app is built and synthesized ONCE (esbuild bundles
 * every function, as `cdk synth` does), with cdk.json's context (plus an opsEmail, and one
 * existing alarm in the `autoRollback` setting, given as `-c` gives it: a string) so the
 * defaults tested are the ones deployed; every test reads that one cloud assembly. Before the
 * synth, the test also does what a user's code may do: define an alarm and `watch()` it.
 */

// biome-ignore lint/suspicious/noExplicitAny: a synthesized template is untyped JSON; each assertion checks the values it reads.
type Json = Record<string, any>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Json;
  Principal?: unknown;
}

const cdkContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Json;
const OPS_EMAIL = 'ops@example.com';
/** An alarm that exists outside the app, named in the `autoRollback` context setting. */
const EXISTING_ALARM = { alarmName: 'prod-api-5xx', environment: 'prod', windowMinutes: 60 };
/** Rollback runs for prod: the callback target, a repository for the image check, one verify alarm. */
const REDEPLOY_TARGETS = {
  prod: { via: 'callback', ecrRepository: 'team/app', verify: { alarms: ['prod-api-5xx'], bakeMinutes: 10 } },
};

let outdir: string;
let service: Service;
let api: Template;
let data: Template;
let apiResources: Json;
/** The two stacks' templates as cdk synth wrote them (for cfn-lint). */
let templateFiles: string[];
/** The alarm defined in the app and watched from code (staging, 30 minutes). */
let watchedInCode: Alarm;

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (template: Template, type: string): [string, Json][] =>
  Object.entries(template.findResources(type));
/** The directory cdk synth staged a function's code in. */
const assetDir = (fn: Json) => path.join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
/** `file` and the files it imports statically (`import … from "./x.mjs"`, not `import("./x.mjs")`), transitively. */
function staticImports(dir: string, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(path.join(dir, file), 'utf8');
  for (const [, imported] of code.matchAll(/import\s*(?:[\w$,{}\s*]+from\s*)?["']\.\/([\w.-]+\.mjs)["']/g)) {
    if (imported) staticImports(dir, imported, seen);
  }
  return seen;
}
const logicalId = (construct: IConstruct | undefined) => {
  if (!construct) throw new Error('no such construct');
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
};

/** Every statement of every identity policy attached to a role (by logical id). */
function roleStatements(roleLogicalId: string): Statement[] {
  return resourcesOf(api, 'AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((r: Json) => r.Ref === roleLogicalId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** The role's statements for the function that the route (or fallback) id maps to. */
function statementsOf(id: string): Statement[] {
  return roleStatements(logicalId(service.stateless.functions.get(id)?.role));
}

/** The function a route's integration calls, as the function's logical id. */
function targetOf(routeKey: string): string {
  const [, route] =
    resourcesOf(api, 'AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey) ?? [];
  expect(route, `route ${routeKey}`).toBeDefined();
  expect(route?.Properties.AuthorizationType).toBe('AWS_IAM');
  const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref;
  const integration = apiResources[integrationId];
  expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
  expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
  return integration.Properties.IntegrationUri['Fn::GetAtt'][0];
}

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'cdk-service-test-'));
  service = createService({
    context: {
      ...cdkContext,
      opsEmail: OPS_EMAIL,
      autoRollback: JSON.stringify([EXISTING_ALARM]),
      redeployTargets: JSON.stringify(REDEPLOY_TARGETS),
    },
    outdir,
  });
  const { stateless } = service;
  // After the stacks exist, as a user's own code would: ALARM_RULES is written at synth.
  watchedInCode = new Alarm(stateless, 'StagingErrors', {
    alarmName: `${stateless.stackName}-staging-errors`,
    metric: new Metric({ namespace: 'MyApp', metricName: 'Errors', period: Duration.minutes(1) }),
    threshold: 5,
    evaluationPeriods: 1,
  });
  stateless.autoRollback.watch(watchedInCode, { environment: 'staging', window: Duration.minutes(30) });
  const assembly = service.app.synth();
  templateFiles = [service.stateless, service.stateful].map(
    (stack) => assembly.getStackArtifact(stack.artifactId).templateFullPath,
  );
  api = Template.fromJSON(assembly.getStackArtifact(service.stateless.artifactId).template);
  data = Template.fromJSON(assembly.getStackArtifact(service.stateful.artifactId).template);
  apiResources = api.toJSON().Resources;
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the HTTP API', () => {
  it.each(ROUTES.map((r) => [r.id, r] as const))(
    '%s: its route, IAM-authorized, calls its own function',
    (id, route) => {
      const fn = service.stateless.functions.get(id);
      expect(fn).toBeDefined();
      expect(targetOf(`${route.method} ${route.path}`)).toBe(logicalId(fn?.fn));
    },
  );

  it('sends every unmatched request to the fallback function, IAM-authorized too', () => {
    const fallback = service.stateless.functions.get(FALLBACK.id);
    expect(targetOf('$default')).toBe(logicalId(fallback?.fn));
  });

  it('has one route and one function per route, plus the fallback, the notifier, the auto-rollback, the sweeper, the run workflow and the readiness refresh', () => {
    api.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length + 1);
    api.resourceCountIs('AWS::Lambda::Function', ROUTES.length + 1 + 5);
    const targets = new Set([...ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].map(targetOf));
    expect(targets.size).toBe(ROUTES.length + 1);
  });

  it('serves a $default stage with JSON access logs, default throttling from context, and no CORS', () => {
    const [[, stage] = []] = resourcesOf(api, 'AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: cdkContext.throttleRateLimit,
        ThrottlingBurstLimit: cdkContext.throttleBurstLimit,
      },
    });
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      caller: '$context.identity.userArn',
    });
    const logGroupId = stage?.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(apiResources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
    // Who called what outlives the stack, for its own retention (a year unless set).
    expect(apiResources[logGroupId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: cdkContext.accessLogRetentionDays ?? 365 },
    });
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
  });

  it('throttles the write and rollback routes each with limits of their own, so no read can use them up', () => {
    const [[, stage] = []] = resourcesOf(api, 'AWS::ApiGatewayV2::Stage');
    const key = (id: string) => {
      const route = ROUTES.find((r) => r.id === id);
      return `${route?.method} ${route?.path}`;
    };
    expect(stage?.Properties.RouteSettings).toEqual({
      [key('RecordDeployment')]: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      [key('FinishDeployment')]: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      [key('RollbackDeployment')]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      [key('HoldEnvironment')]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      [key('ReleaseEnvironment')]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      [key('StartRollbackRun')]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    // The stage's route settings may only name routes that exist: it is deployed after them.
    const [[stageId] = []] = resourcesOf(api, 'AWS::ApiGatewayV2::Stage');
    const dependsOn: string[] = apiResources[stageId as string].DependsOn ?? [];
    for (const id of ['RecordDeployment', 'FinishDeployment', 'RollbackDeployment']) {
      expect(
        dependsOn.some((d) => d.includes(`${id}Route`)),
        id,
      ).toBe(true);
    }
  });

  it('lets API Gateway invoke each function for this API and this account only (CT.LAMBDA.PR.2)', () => {
    const permissions = resourcesOf(api, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    expect(permissions).toHaveLength(ROUTES.length + 1);
    for (const [id, p] of permissions) {
      expect(p.Properties.SourceAccount, id).toEqual({ Ref: 'AWS::AccountId' });
      expect(JSON.stringify(p.Properties.SourceArn), id).toContain(':execute-api:');
    }
  });

  it('outputs the API URL', () => {
    api.hasOutput('ApiUrl', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'ApiEndpoint'] } });
  });
});

describe('every function', () => {
  it('carries the construct defaults: Node on arm64, ESM bundle, JSON logs to its own log group, X-Ray', () => {
    for (const [id, fn] of resourcesOf(api, 'AWS::Lambda::Function')) {
      const props = fn.Properties;
      expect(props, id).toMatchObject({
        Runtime: `nodejs${NODE_MAJOR}.x`,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
        Environment: {
          // No NODE_OPTIONS=--enable-source-maps: it costs every cold start; errors are mapped when logged.
          Variables: { POWERTOOLS_SERVICE_NAME: 'platform-rollback' },
        },
      });
      // The run workflow's invocations run its steps up to the next wait (2 minutes); the waits cost nothing.
      const workflow = id === logicalId(service.stateless.rollbackRuns.function.fn);
      expect(props.Timeout, id).toBeLessThanOrEqual(workflow ? 120 : 30);
      const logGroup = apiResources[props.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.RetentionInDays).toBe(cdkContext.logRetentionDays);
    }
  });

  it("behind the API, times out before API Gateway's 30 s", () => {
    for (const [id, fn] of service.stateless.functions) {
      expect(apiResources[logicalId(fn.fn)].Properties.Timeout, id).toBeLessThan(30);
    }
  });

  it('is bundled by esbuild as ESM with the require banner and a source map in every file, the AWS SDK inside', () => {
    for (const [id, fn] of resourcesOf(api, 'AWS::Lambda::Function')) {
      const dir = assetDir(fn);
      expect(existsSync(path.join(dir, 'index.mjs')), id).toBe(true);
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
        const code = readFileSync(path.join(dir, file), 'utf8');
        expect(code.startsWith(BANNER), `${id} ${file}`).toBe(true);
        expect(existsSync(path.join(dir, `${file}.map`)), `${id} ${file}`).toBe(true);
        expect(code, `${id} must not import the SDK from the runtime`).not.toMatch(/from\s*["']@aws-sdk\//);
      }
    }
  });

  const RECORD_WRITES = ['create', 'finish', 'mark-rolled-back'].map((m) => `functions/adapters/dynamodb/${m}.ts`);
  const OWN_WRITE: Record<string, string> = {
    RecordDeployment: 'create',
    FinishDeployment: 'finish',
    RollbackDeployment: 'mark-rolled-back',
  };

  it("bundles each route's own entry and only its own write, and keeps Powertools out of its cold start: in a chunk loaded on the first log line", () => {
    for (const route of [...ROUTES, FALLBACK]) {
      const dir = assetDir(apiResources[logicalId(service.stateless.functions.get(route.id)?.fn)]);
      const sources = (file: string) =>
        JSON.parse(readFileSync(path.join(dir, `${file}.map`), 'utf8')).sources as string[];
      expect(
        sources('index.mjs').some((s) => s.endsWith(route.entry)),
        route.id,
      ).toBe(true);
      const powertools = (file: string) =>
        sources(file).some((s) => s.includes('node_modules/@aws-lambda-powertools/logger/'));
      const atInit = staticImports(dir, 'index.mjs');
      expect(atInit.size, route.id).toBeGreaterThan(0);
      expect([...atInit].filter(powertools), route.id).toEqual([]);
      const shipped = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
      expect(shipped.filter(powertools), route.id).toHaveLength(1);
      // Each write route bundles its own write module of the record store, and no other; the
      // rest bundle none (the reads are dynamodb/reads.ts).
      const bundled = shipped.flatMap(sources);
      const writes = RECORD_WRITES.filter((module) => bundled.some((s) => s.endsWith(module)));
      const own = OWN_WRITE[route.id];
      expect(writes, route.id).toEqual(own ? [`functions/adapters/dynamodb/${own}.ts`] : []);
    }
  });

  it("bundles each event function's own entry (functions/events/<kind>-handler.ts)", () => {
    const { notifier, sweeper, autoRollback, rollbackRuns } = service.stateless;
    for (const [fn, entry] of [
      [notifier.function.fn, 'functions/events/notifier-handler.ts'],
      [sweeper.function.fn, 'functions/events/sweeper-handler.ts'],
      [autoRollback.function.fn, 'functions/events/auto-rollback-handler.ts'],
      [rollbackRuns.function.fn, 'functions/events/rollback-run-handler.ts'],
    ] as const) {
      const dir = assetDir(apiResources[logicalId(fn)]);
      const sources = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8')).sources as string[];
      expect(
        sources.some((s) => s.endsWith(entry)),
        entry,
      ).toBe(true);
    }
  });

  it('gets TABLE_NAME when bound to the table; the fallback, bound to nothing, does not', () => {
    for (const route of ROUTES) {
      const fn = service.stateless.functions.get(route.id);
      const props = apiResources[logicalId(fn?.fn)].Properties;
      expect(props.Environment.Variables.TABLE_NAME, route.id).toBeDefined();
    }
    const fallback = service.stateless.functions.get(FALLBACK.id);
    const props = apiResources[logicalId(fallback?.fn)].Properties;
    expect(props.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(
      statementsOf(FALLBACK.id)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:')),
    ).toEqual([]);
  });
});

/**
 * Every role's table rights, as `<action> <table|index/name> <LeadingKeys patterns>`: what each
 * function's code calls (functions/table-access.ts says which store call needs what), written
 * out here so that a role gaining an action, an index or a key prefix fails this test.
 */
const EXPECTED_TABLE_RIGHTS: Record<string, string[]> = {
  RecordDeployment: [
    'ConditionCheckItem table ENVIRONMENTS',
    'GetItem table ENV#* ENVIRONMENTS ID#* IDEMPOTENCY#*',
    'PutItem table ENV#* ID#* IDEMPOTENCY#* OUTBOX#*',
    'Query index/ByTag TAG#*',
    'UpdateItem table ENVIRONMENTS',
  ],
  FinishDeployment: ['GetItem table ENV#* ENVIRONMENTS ID#*', 'UpdateItem table ENV#* ENVIRONMENTS'],
  ListHistory: ['Query table ENV#*'],
  GetRollbackTarget: ['Query index/ByTag TAG#*', 'Query table ENV#*'],
  GetDeploymentByTag: ['Query index/ByTag TAG#*', 'Query table ENV#*'],
  TagExists: ['Query index/ByTag TAG#*', 'Query table ENV#*'],
  RollbackDeployment: [
    'GetItem table ENVIRONMENTS',
    'PutItem table OUTBOX#*',
    'Query index/ByTag TAG#*',
    'Query table ENV#*',
    'UpdateItem table ENV#* ENVIRONMENTS',
  ],
  ListEnvironments: ['Query table ENVIRONMENTS'],
  GetEnvironment: ['GetItem table ENVIRONMENTS'],
  HoldEnvironment: ['GetItem table ENVIRONMENTS', 'PutItem table OUTBOX#*', 'UpdateItem table ENVIRONMENTS'],
  ReleaseEnvironment: ['GetItem table ENVIRONMENTS', 'PutItem table OUTBOX#*', 'UpdateItem table ENVIRONMENTS'],
  CheckGate: ['GetItem table ENV#* ENVIRONMENTS', 'Query index/ByTag TAG#*'],
  GetReadiness: ['Query table ENV#*'],
  GetMetrics: ['Query table ENV#*'],
  StartRollbackRun: [
    'GetItem table ENVIRONMENTS IDEMPOTENCY#* RUN#* RUNS#*',
    'PutItem table IDEMPOTENCY#* OUTBOX#* RUN#* RUNCLAIM#* RUNS#*',
    'Query index/ByTag TAG#*',
    'Query table ENV#*',
    'UpdateItem table ENVIRONMENTS',
  ],
  ListRollbackRuns: ['Query table RUNS#*'],
  GetRollbackRun: ['GetItem table RUN#* RUNS#*'],
  GetDeployment: ['GetItem table ENV#* ID#*'],
  Fallback: [],
  AutoRollback: [
    'GetItem table ENVIRONMENTS IDEMPOTENCY#* RUN#* RUNS#*',
    'PutItem table EVENT#* IDEMPOTENCY#* OUTBOX#* RUN#* RUNCLAIM#* RUNS#*',
    'Query index/ByTag TAG#*',
    'Query table ENV#*',
    'UpdateItem table ENV#* ENVIRONMENTS',
  ],
  Notifier: ['GetItem table OUTBOX#*', 'UpdateItem table OUTBOX#*'],
  Sweeper: ['GetItem table OUTBOX#*', 'Query index/Unpublished OUTBOX#*', 'UpdateItem table OUTBOX#*'],
  RollbackRuns: [
    'GetItem table ENV#* ENVIRONMENTS ID#* IDEMPOTENCY#*',
    'PutItem table ENV#* EVENT#* ID#* IDEMPOTENCY#* OUTBOX#*',
    'Query index/ByTag TAG#*',
    'Query table ENV#*',
    'UpdateItem table ENV#* ENVIRONMENTS RUNS#*',
  ],
  ReadinessRefresh: [
    'GetItem table ENVIRONMENTS',
    'PutItem table OUTBOX#*',
    'Query table ENV#* ENVIRONMENTS',
    'UpdateItem table ENVIRONMENTS',
  ],
};

/** The stream reads of the notifier's event source: on the stream's ARN, not the table's items. */
const STREAM_ACTIONS = /^dynamodb:(GetRecords|GetShardIterator|DescribeStream|ListStreams)$/;

/** A role's table rights in the form of EXPECTED_TABLE_RIGHTS, read off its policies. */
function tableRights(roleLogicalId: string): string[] {
  const rights = new Map<string, Set<string>>();
  for (const s of roleStatements(roleLogicalId).filter((s) => s.Effect === 'Allow')) {
    const resource = JSON.stringify(s.Resource);
    const where = /\/index\/(\w+)/.exec(resource)?.[1];
    const keys: string[] = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['(any key)'];
    expect(Object.keys(s.Condition ?? {}).filter((k) => k !== 'ForAllValues:StringLike')).toEqual([]);
    for (const action of actionsOf(s).filter((a) => a.startsWith('dynamodb:') && !STREAM_ACTIONS.test(a))) {
      const key = `${action.slice('dynamodb:'.length)} ${where ? `index/${where}` : 'table'}`;
      const set = rights.get(key) ?? new Set();
      for (const k of Array.isArray(keys) ? keys : [keys]) set.add(k);
      rights.set(key, set);
    }
  }
  return [...rights].map(([key, keys]) => `${key} ${[...keys].sort().join(' ')}`).sort();
}

describe('least privilege', () => {
  const roles = (): [string, string][] => [
    ...[...service.stateless.functions].map(([id, fn]) => [id, logicalId(fn.role)] as [string, string]),
    ['AutoRollback', logicalId(service.stateless.autoRollback.function.role)],
    ['Notifier', logicalId(service.stateless.notifier.function.role)],
    ['Sweeper', logicalId(service.stateless.sweeper.function.role)],
    ['RollbackRuns', logicalId(service.stateless.rollbackRuns.function.role)],
    ['ReadinessRefresh', logicalId(service.stateless.readinessRefresh.function.role)],
  ];

  it('every function has exactly the table actions, indexes and item key prefixes its code uses', () => {
    const actual = Object.fromEntries(roles().map(([id, role]) => [id, tableRights(role)]));
    expect(actual).toEqual(EXPECTED_TABLE_RIGHTS);
  });

  it("docs/SECURITY.md's grants table names exactly the stack's functions (their rights: test/unit/docs-tables.test.ts)", () => {
    const page = readFileSync(new URL('../../docs/SECURITY.md', import.meta.url), 'utf8');
    const ids = roles().map(([id]) => id);
    expect(ids).toContain('Fallback');
    expect(grantsTableFunctions(page).sort()).toEqual(ids.sort());
    expect(OTHER_FUNCTIONS.map(([id]) => id).sort()).toEqual(
      ids.filter((id) => !ROUTES.some((r) => r.id === id)).sort(),
    );
  });

  it('only the rollback paths, the holds, the guarded create and the readiness refresh put outbox items; only the notifier and the sweeper update them', () => {
    for (const [id, role] of roles()) {
      const writesOutbox = tableRights(role).some((r) => /^(PutItem|UpdateItem) table .*OUTBOX#\*/.test(r));
      expect(writesOutbox, id).toBe(
        [
          'RecordDeployment',
          'RollbackDeployment',
          'HoldEnvironment',
          'ReleaseEnvironment',
          'StartRollbackRun',
          'AutoRollback',
          'Notifier',
          'Sweeper',
          'RollbackRuns',
          'ReadinessRefresh',
        ].includes(id),
      );
    }
  });

  it('no table right is without a key condition, and none is on a ConditionCheckItem nobody sends', () => {
    const rights = roles().map(([id, role]) => [id, tableRights(role)] as const);
    expect(rights.flatMap(([, r]) => r).filter((r) => r.includes('(any key)'))).toEqual([]);
    // The one ConditionCheck sent: a guarded create's condition on its environment item.
    expect(
      rights.flatMap(([id, r]) => r.filter((x) => x.startsWith('ConditionCheckItem')).map((x) => `${id} ${x}`)),
    ).toEqual(['RecordDeployment ConditionCheckItem table ENVIRONMENTS']);
  });

  it('no identity or topic policy allows Scan, DeleteItem, or any wildcard action', () => {
    const statements = [
      ...resourcesOf(api, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
      ...resourcesOf(data, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
      ...resourcesOf(api, 'AWS::SNS::TopicPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
    ] as Statement[];
    expect(statements.length).toBeGreaterThan(ROUTES.length);
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(allowed).not.toContain('dynamodb:Scan');
    expect(allowed).not.toContain('dynamodb:DeleteItem');
    expect(allowed.filter((a) => a.includes('*'))).toEqual([]);
  });

  it("names a resource in every statement, except X-Ray's and the stream's ListStreams, which have none to name", () => {
    const starred = resourcesOf(api, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
    const functions = ROUTES.length + 1 + 5;
    // One ListStreams for each stream consumer: the notifier and the readiness refresh.
    expect(starred.length).toBe(functions + 2);
    expect([...new Set(starred.flatMap(actionsOf))].sort()).toEqual([
      'dynamodb:ListStreams',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('grants the table and its ByTag index by exact ARN, never index/*', () => {
    const resources = JSON.stringify(
      resourcesOf(api, 'AWS::IAM::Policy').flatMap(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Statement[])
          .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
          .map((s) => s.Resource),
      ),
    );
    expect(resources).toContain(`/index/${TABLE_SCHEMA.tagIndex.name}`);
    expect(resources).not.toContain('/index/*');
  });

  it('roles carry no managed policies (no AWSLambdaBasicExecutionRole: each writes only its own logs)', () => {
    for (const [id, role] of resourcesOf(api, 'AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});

describe('rollback runs (a Lambda durable function behind an alias)', () => {
  const workflow = () => service.stateless.rollbackRuns;
  const envOf = (id: string) => apiResources[id].Properties.Environment.Variables;

  it('is a durable function with an execution timeout and a retention, invoked through the alias live', () => {
    const fn = apiResources[logicalId(workflow().function.fn)];
    expect(fn.Properties.DurableConfig).toEqual({ ExecutionTimeout: 172800, RetentionPeriodInDays: 30 });
    const [, alias] = resourcesOf(api, 'AWS::Lambda::Alias')[0] ?? [];
    expect(alias?.Properties).toMatchObject({
      Name: 'live',
      FunctionName: { Ref: logicalId(workflow().function.fn) },
      FunctionVersion: { 'Fn::GetAtt': [expect.any(String), 'Version'] },
    });
    expect(JSON.parse(envOf(logicalId(workflow().function.fn)).REDEPLOY_TARGETS)).toMatchObject(REDEPLOY_TARGETS);
  });

  it('the workflow may checkpoint itself, DescribeAlarms its verify alarms and DescribeImages its repository: nothing wider', () => {
    const statements = roleStatements(logicalId(workflow().function.role)).filter(
      (s) => !actionsOf(s).some((a) => a.startsWith('dynamodb:') || a.startsWith('xray:') || a.startsWith('logs:')),
    );
    const byAction = Object.fromEntries(statements.map((s) => [actionsOf(s).join(','), JSON.stringify(s.Resource)]));
    expect(Object.keys(byAction).sort()).toEqual([
      'cloudwatch:DescribeAlarms',
      'ecr:DescribeImages',
      'lambda:CheckpointDurableExecution,lambda:GetDurableExecutionState',
    ]);
    expect(byAction['cloudwatch:DescribeAlarms']).toContain(':alarm:prod-api-5xx');
    expect(byAction['ecr:DescribeImages']).toContain(':repository/team/app');
    expect(byAction['lambda:CheckpointDurableExecution,lambda:GetDurableExecutionState']).toContain(':*');
  });

  it('only the POST .../rollbacks route and the auto-rollback may invoke it, through the alias, and know its ARN', () => {
    const aliasId = logicalId(workflow().alias);
    for (const starter of [
      service.stateless.functions.get('StartRollbackRun'),
      service.stateless.autoRollback.function,
    ]) {
      const invoke = roleStatements(logicalId(starter?.role)).filter((s) =>
        actionsOf(s).includes('lambda:InvokeFunction'),
      );
      expect(invoke).toHaveLength(1);
      expect(JSON.stringify(invoke[0]?.Resource)).toContain(aliasId);
      expect(envOf(logicalId(starter?.fn)).RUN_FUNCTION).toEqual({ Ref: aliasId });
    }
    const invokers = resourcesOf(api, 'AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some((s) =>
        actionsOf(s).includes('lambda:InvokeFunction'),
      ),
    );
    expect(invokers).toHaveLength(2);
  });
});

describe('the table', () => {
  it('has the shared key schema, the ByTag index, TTL and a NEW_IMAGE stream', () => {
    data.resourceCountIs('AWS::DynamoDB::Table', 1);
    const { partitionKey, sortKey, tagIndex, ttlAttribute, streamView } = TABLE_SCHEMA;
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith(
        [partitionKey, sortKey, tagIndex.partitionKey, tagIndex.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
      ),
      GlobalSecondaryIndexes: [
        {
          IndexName: tagIndex.name,
          KeySchema: [
            { AttributeName: tagIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: tagIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        Match.objectLike({ IndexName: TABLE_SCHEMA.unpublishedIndex.name }),
      ],
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: streamView },
    });
  });

  it('is on-demand, encrypted, point-in-time recoverable, deletion-protected and retained', () => {
    data.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        TableName: Match.absent(),
      }),
    });
  });

  it('outputs its name', () => {
    data.hasOutput('TableName', { Value: { Ref: Match.anyValue() } });
  });
});

describe('the rollback topic', () => {
  it('is encrypted with a rotating customer key', () => {
    const [[keyId, key] = []] = resourcesOf(data, 'AWS::KMS::Key');
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    data.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      TopicName: Match.absent(),
    });
  });

  it('has one topic policy, in the API stack beside the publishers it names, none in the stateful stack', () => {
    data.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    api.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    const [[, policy] = []] = resourcesOf(api, 'AWS::SNS::TopicPolicy');
    expect(JSON.stringify(policy?.Properties.Topics)).toMatch(/Fn::ImportValue.*RollbackTopic/);
  });

  it('refuses publishers that do not use TLS', () => {
    api.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('denies sns:Publish to every IAM principal but the notifier and sweeper roles: nobody else can forge a notification', () => {
    const [[, policy] = []] = resourcesOf(api, 'AWS::SNS::TopicPolicy');
    const statements = policy?.Properties.PolicyDocument.Statement as Statement[];
    const deny = statements.filter((s) => s.Effect === 'Deny' && !s.Condition?.Bool?.['aws:SecureTransport']);
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({ Action: 'sns:Publish', Principal: { AWS: '*' } });
    expect(deny[0]?.Condition).toEqual({
      ArnNotEquals: {
        'aws:PrincipalArn': [
          { 'Fn::GetAtt': [logicalId(service.stateless.notifier.function.role), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(service.stateless.sweeper.function.role), 'Arn'] },
        ],
      },
      Bool: { 'aws:PrincipalIsAWSService': 'false' },
    });
    // The only other Allow is for CloudWatch (its conditions are checked with the alarms).
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => s.Principal)).toEqual([{ Service: 'cloudwatch.amazonaws.com' }]);
  });

  it('lets CloudWatch alarms of this account and region, and only those, encrypt with its key', () => {
    data.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([':cloudwatch:', { Ref: 'AWS::Region' }, ':alarm:*'])],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('denies kms:CreateGrant on its key, except for grants AWS services make for their own resources', () => {
    data.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyGrantsExceptForAwsServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]),
      },
    });
  });

  it('subscribes opsEmail by email, and outputs its ARN', () => {
    data.resourceCountIs('AWS::SNS::Subscription', 1);
    data.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: OPS_EMAIL });
    data.hasOutput('TopicArn', { Value: { Ref: Match.anyValue() } });
  });
});

describe('the cursor key', () => {
  it('is a Secrets Manager secret that CloudFormation generates (48 characters, no punctuation), in the stateful stack', () => {
    data.resourceCountIs('AWS::SecretsManager::Secret', 1);
    api.resourceCountIs('AWS::SecretsManager::Secret', 0);
    data.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
        SecretString: Match.absent(),
      }),
    });
    expect(logicalId(service.stateful.cursorKey)).toBe(
      Object.keys(data.findResources('AWS::SecretsManager::Secret'))[0],
    );
  });

  it('reaches only the functions that sign cursors (history, runs), by ARN (CURSOR_KEY_SECRET_ARN): none holds the key itself', () => {
    const signers = ['ListHistory', 'ListRollbackRuns'];
    expect(ROUTES.filter((r) => r.cursorKey).map((r) => r.id)).toEqual(signers);
    const functions = resourcesOf(api, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(ROUTES.length + 1 + 5);
    const holders = functions.filter(([, fn]) => fn.Properties.Environment?.Variables?.CURSOR_KEY_SECRET_ARN);
    expect(holders.map(([id]) => id).sort()).toEqual(
      signers.map((id) => logicalId(service.stateless.functions.get(id)?.fn)).sort(),
    );
    const value = JSON.stringify(holders[0]?.[1].Properties.Environment.Variables.CURSOR_KEY_SECRET_ARN);
    expect(value).toMatch(new RegExp(`Fn::ImportValue.*${logicalId(service.stateful.cursorKey)}`));
    const everything = JSON.stringify(api.toJSON());
    expect(everything).not.toContain('resolve:secretsmanager');
    for (const [id, fn] of functions) expect(fn.Properties.Environment?.Variables?.CURSOR_KEY, id).toBeUndefined();
  });

  it('may be read by those functions alone: secretsmanager:GetSecretValue on that one secret, nothing else', () => {
    const grants = resourcesOf(api, 'AWS::IAM::Policy').flatMap(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')))
        .map((s) => ({ roles: p.Properties.Roles, statement: s })),
    );
    expect(grants).toHaveLength(2);
    expect(grants.map((g) => g.roles).sort()).toEqual(
      ['ListHistory', 'ListRollbackRuns']
        .map((id) => [{ Ref: logicalId(service.stateless.functions.get(id)?.role) }])
        .sort(),
    );
    for (const grant of grants) {
      expect(grant.statement.Action).toBe('secretsmanager:GetSecretValue');
      expect(JSON.stringify(grant.statement.Resource)).toMatch(
        new RegExp(`^\\{"Fn::ImportValue":".*${logicalId(service.stateful.cursorKey)}.*"\\}$`),
      );
    }
  });
});

describe('the readiness refresh (table stream and hourly schedule → environment items)', () => {
  const refresh = () => service.stateless.readinessRefresh;

  it('is fed by the stream, deployment records only, retried then sent to its failure queue, and run hourly', () => {
    const fnRef = JSON.stringify({ Ref: logicalId(refresh().function.fn) });
    const mappings = resourcesOf(api, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties.FunctionName) === fnRef,
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(refresh().failures.queue), 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { entity: { S: ['deployment'] } } } }) }],
      },
    });
    const rules = resourcesOf(api, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(logicalId(refresh().function.fn)),
    );
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(1 hour)']);
  });

  it('reads the verify alarms and the repository the targets name, and nothing else outside the table', () => {
    for (const role of [
      logicalId(refresh().function.role),
      logicalId(service.stateless.functions.get('GetReadiness')?.role),
    ]) {
      const outside = roleStatements(role)
        .flatMap(actionsOf)
        // Beside the table, X-Ray, its logs and (the refresh) its failure queue.
        .filter((a) => !/^(dynamodb|xray|logs|sqs):/.test(a));
      expect([...new Set(outside)].sort(), role).toEqual(['cloudwatch:DescribeAlarms', 'ecr:DescribeImages']);
    }
  });
});

describe('the notifier (table stream → function → rollback topic)', () => {
  const notifier = () => service.stateless.notifier;

  it('is fed by the table stream, outbox INSERTs only, bisecting and reporting failed items, with an on-failure queue', () => {
    // Two consumers of the stream: the notifier and the readiness refresh (test/infra/readiness.test.ts).
    api.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    const [[, mapping] = []] = resourcesOf(api, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) =>
        JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: logicalId(notifier().function.fn) }),
    );
    const { Tags: _tags, ...properties } = mapping?.Properties ?? {};
    expect(properties).toEqual({
      FunctionName: { Ref: logicalId(notifier().function.fn) },
      EventSourceArn: { 'Fn::ImportValue': expect.stringMatching(/StreamArn/) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(notifier().failures.queue), 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['outbox'] } } } }) },
        ],
      },
    });
  });

  it('may publish to the rollback topic (and use its key), GetItem and UpdateItem the table: nothing else on it', () => {
    const statements = roleStatements(logicalId(notifier().function.role));
    const topicArn = data.toJSON().Outputs.TopicArn.Value.Ref as string;
    const publish = statements.find((s) => actionsOf(s).includes('sns:Publish'));
    expect(JSON.stringify(publish?.Resource)).toMatch(new RegExp(`ExportsOutputRef${topicArn}`));
    const kms = statements.find((s) => actionsOf(s).includes('kms:GenerateDataKey'));
    expect(actionsOf(kms as Statement).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(kms?.Resource)).toMatch(/TopicKey/);
    const tableActions = statements
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('dynamodb:') && !/GetRecords|GetShardIterator|DescribeStream|ListStreams/.test(a));
    expect(tableActions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const env = apiResources[logicalId(notifier().function.fn)].Properties.Environment.Variables;
    expect(env.TOPIC_ARN).toEqual({ 'Fn::ImportValue': expect.stringContaining(`ExportsOutputRef${topicArn}`) });
    expect(env.TABLE_NAME).toBeDefined();
  });

  it('its failure queue is encrypted and TLS-only, and an alarm fires on its first message', () => {
    const queue = logicalId(notifier().failures.queue);
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(apiResources[queue].Properties.SqsManagedSseEnabled).toBe(true);
    api.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('the outbox sweeper', () => {
  const sweeper = () => service.stateless.sweeper;

  it('the table has the sparse Unpublished index: GSI2 keys, the fields the sweeper publishes from', () => {
    const [[, table] = []] = resourcesOf(data, 'AWS::DynamoDB::Table');
    const index = table?.Properties.GlobalSecondaryIndexes.find(
      (i: Json) => i.IndexName === TABLE_SCHEMA.unpublishedIndex.name,
    );
    expect(index).toEqual({
      IndexName: 'Unpublished',
      KeySchema: [
        { AttributeName: 'GSI2PK', KeyType: 'HASH' },
        { AttributeName: 'GSI2SK', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE_SCHEMA.unpublishedIndex.projected] },
    });
  });

  it('runs every 5 minutes, one at a time, and may publish to the topic', () => {
    const fnId = logicalId(sweeper().function.fn);
    expect(apiResources[fnId].Properties.ReservedConcurrentExecutions).toBe(1);
    expect(apiResources[fnId].Properties.Environment.Variables.TOPIC_ARN).toBeDefined();
    const rules = resourcesOf(api, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(fnId),
    );
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const actions = roleStatements(logicalId(sweeper().function.role)).flatMap(actionsOf);
    expect(actions).toContain('sns:Publish');
  });

  it('counts what it finds from its log, and alarms (to the rollback topic) when it finds any', () => {
    const logGroup = logicalId(sweeper().function.logGroup);
    const [[, filter] = []] = resourcesOf(api, 'AWS::Logs::MetricFilter');
    expect(filter?.Properties).toMatchObject({
      LogGroupName: { Ref: logGroup },
      FilterPattern: '{ $.message = "outbox sweep found unpublished notifications" }',
      MetricTransformations: [{ MetricName: 'UnpublishedNotificationsSwept', MetricValue: '$.found' }],
    });
    const alarm = apiResources[logicalId(sweeper().alarm)].Properties;
    expect(alarm).toMatchObject({ MetricName: 'UnpublishedNotificationsSwept', Threshold: 1, Statistic: 'Sum' });
    expect(JSON.stringify(alarm.AlarmActions)).toMatch(/RollbackTopic/);
  });
});

describe('the automated rollback', () => {
  const fnId = () => logicalId(service.stateless.autoRollback.function.fn);
  const fnArn = () => ({ 'Fn::GetAtt': [fnId(), 'Arn'] });

  it('maps the alarms of the autoRollback setting and those watch()ed in code to their environments (ALARM_RULES)', () => {
    const env = apiResources[fnId()].Properties.Environment.Variables;
    expect(JSON.parse(env.ALARM_RULES)).toEqual({
      [EXISTING_ALARM.alarmName]: { environment: 'prod', windowMinutes: 60 },
      [`${service.stateless.stackName}-staging-errors`]: { environment: 'staging', windowMinutes: 30 },
    });
  });

  it('an existing alarm from the setting: an EventBridge rule on its ARN going into ALARM invokes the function, for that rule only', () => {
    const rules = resourcesOf(api, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(1);
    const [[ruleId, rule] = []] = rules;
    const { EventPattern, Targets } = rule?.Properties ?? {};
    expect(EventPattern).toMatchObject({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { state: { value: ['ALARM'] } },
    });
    expect(EventPattern.resources).toHaveLength(1);
    const arn = EventPattern.resources[0]['Fn::Join'][1];
    expect(arn).toEqual([
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:alarm:${EXISTING_ALARM.alarmName}`,
    ]);
    expect(Targets).toEqual([
      expect.objectContaining({
        Arn: fnArn(),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(service.stateless.autoRollback.failures.queue), 'Arn'] } },
        RetryPolicy: { MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
    const fromEvents = resourcesOf(api, 'AWS::Lambda::Permission').filter(
      ([, p]) =>
        p.Properties.Principal === 'events.amazonaws.com' &&
        JSON.stringify(p.Properties.FunctionName).includes(logicalId(service.stateless.autoRollback.function.fn)),
    );
    expect(fromEvents.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: fnArn(),
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    ]);
  });

  it('an alarm of the app, watch()ed in code: the function is its action, invocable by CloudWatch for that alarm only', () => {
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${service.stateless.stackName}-staging-errors`,
      AlarmActions: [fnArn()],
    });
    const fromAlarms = resourcesOf(api, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'lambda.alarms.cloudwatch.amazonaws.com',
    );
    expect(fromAlarms.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: fnArn(),
        Principal: 'lambda.alarms.cloudwatch.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(watchedInCode), 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    ]);
  });

  it('writes the table (rollback + outbox) with no Scan and no DeleteItem, and needs no topic', () => {
    const actions = roleStatements(logicalId(service.stateless.autoRollback.function.role)).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(actions.filter((a) => /sns:|kms:|Scan|DeleteItem|BatchWrite/.test(a))).toEqual([]);
  });

  it('sends async invocations that fail after the retries to its failure queue', () => {
    api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId() },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(service.stateless.autoRollback.failures.queue), 'Arn'] } },
      },
    });
  });

  it('outputs the function ARN', () => {
    api.hasOutput('AutoRollbackFunctionArn', { Value: fnArn() });
  });

  it('refuses, at synth, an alarm without a literal name, a bad environment or window, and a name watched twice', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Other');
    const table = new Table(stack, 'T', {
      partitionKey: { name: 'PK', type: AttributeType.STRING },
      stream: StreamViewType.NEW_IMAGE,
    });
    const rollback = new AutoRollback(stack, 'R', { table, logRetention: RetentionDays.ONE_DAY });
    const metric = new Metric({ namespace: 'N', metricName: 'M' });
    const unnamed = new Alarm(stack, 'Unnamed', { metric, threshold: 1, evaluationPeriods: 1 });
    const hour = { environment: 'prod', window: Duration.hours(1) };
    expect(() => rollback.watch(unnamed, hour)).toThrow(/needs a literal alarmName.*dependency cycle/s);
    const named = new Alarm(stack, 'Named', { alarmName: 'n', metric, threshold: 1, evaluationPeriods: 1 });
    expect(() => rollback.watch(named, { ...hour, environment: 'Prod!' })).toThrow(
      /environment: must be 1-32 lowercase letters/,
    );
    expect(() => rollback.watchByName('x', { ...hour, window: Duration.days(8) })).toThrow(
      /windowMinutes: .*1 minute to 7 days/,
    );
    rollback.watchByName('existing', hour);
    expect(() => rollback.watchByName('existing', hour)).toThrow(/already watched/);
    expect(() => rollback.watch(named, hour).watch(named, { ...hour, environment: 'staging' })).toThrow(
      /already watched for prod/,
    );
  });
});

describe('the service health alarms and dashboard', () => {
  const monitoring = () => service.stateless.monitoring;
  const alarms = () => resourcesOf(api, 'AWS::CloudWatch::Alarm');
  const allFunctions = () => [
    ...service.stateless.functions,
    ['Notifier', service.stateless.notifier.function] as const,
    ['AutoRollback', service.stateless.autoRollback.function] as const,
    ['Sweeper', service.stateless.sweeper.function] as const,
    ['RollbackRuns', service.stateless.rollbackRuns.function] as const,
    ['ReadinessRefresh', service.stateless.readinessRefresh.function] as const,
  ];

  it.each(['Errors', 'Throttles'])(
    'alarm on the %s of every function: routes, fallback, notifier, auto-rollback, sweeper, run workflow, readiness refresh',
    (metric) => {
      const functions = allFunctions();
      expect(functions).toHaveLength(ROUTES.length + 6);
      for (const [name, fn] of functions) {
        const matching = alarms().filter(
          ([, a]) =>
            a.Properties.Namespace === 'AWS/Lambda' &&
            a.Properties.MetricName === metric &&
            a.Properties.Dimensions?.[0]?.Value?.Ref === logicalId(fn.fn),
        );
        expect(matching, name).toHaveLength(1);
        expect(matching[0]?.[1].Properties).toMatchObject({ Statistic: 'Sum', Threshold: 1 });
      }
    },
  );

  it('alarm on the API stage 5xx', () => {
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Dimensions: Match.arrayWith([
        { Name: 'ApiId', Value: { Ref: logicalId(service.stateless.api) } },
        { Name: 'Stage', Value: '$default' },
      ]),
    });
  });

  it('reuse the failure-queue and late-notification alarms of the constructs (one each, not duplicated)', () => {
    const { notifier, autoRollback, readinessRefresh } = service.stateless;
    const tracked = monitoring().alarms.map(logicalId);
    for (const alarm of [
      notifier.failures.alarm,
      notifier.iteratorAgeAlarm,
      autoRollback.failures.alarm,
      readinessRefresh.failures.alarm,
    ]) {
      expect(tracked).toContain(logicalId(alarm));
    }
    expect(alarms().filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible')).toHaveLength(
      3,
    );
    expect(alarms().filter(([, a]) => a.Properties.MetricName === 'IteratorAge')).toHaveLength(1);
  });

  it('every alarm of the stack but the one watched from code is a health alarm, notifying the rollback topic of ALARM and OK', () => {
    const topicRef = { 'Fn::ImportValue': expect.stringMatching(/ExportsOutputRefRollbackTopic/) };
    const health = new Set(monitoring().alarms.map(logicalId));
    expect(health.size).toBe(allFunctions().length * 2 + 1 + 3 + 1 + 1); // + the sweeper's and the readiness refresh's failure alarms
    const others = alarms().filter(([id]) => !health.has(id));
    expect(others.map(([id]) => id)).toEqual([logicalId(watchedInCode)]);
    for (const id of health) {
      const props = apiResources[id].Properties;
      expect(props.AlarmActions, id).toEqual([topicRef]);
      expect(props.OKActions, id).toEqual([topicRef]);
      expect(props.AlarmName, `${id} has no physical name`).toBeUndefined();
    }
  });

  it('none of them can trigger an automated rollback: only the alarm watched from code has the function as an action', () => {
    const fnId = logicalId(service.stateless.autoRollback.function.fn);
    const invoking = alarms().filter(([, a]) =>
      JSON.stringify([
        a.Properties.AlarmActions,
        a.Properties.OKActions,
        a.Properties.InsufficientDataActions,
      ]).includes(fnId),
    );
    expect(invoking.map(([id]) => id)).toEqual([logicalId(watchedInCode)]);
    // and none is named in ALARM_RULES (they have no literal name to be mapped by)
    const rules = JSON.parse(apiResources[fnId].Properties.Environment.Variables.ALARM_RULES);
    expect(Object.keys(rules)).toHaveLength(2);
  });

  it('the rollback topic lets CloudWatch alarms of this account publish (its key policy already does)', () => {
    api.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  it('a dashboard, unnamed, with the API, every function, the notifier and the auto-rollback; its URL is output', () => {
    const dashboards = resourcesOf(api, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const [[dashboardId, dashboard] = []] = dashboards;
    expect(dashboard?.Properties.DashboardName).toBeUndefined();
    // The body is a Fn::Join of JSON text and references; each reference becomes "<logical id>".
    const parts: unknown[] = dashboard?.Properties.DashboardBody['Fn::Join'][1];
    const text = parts
      .map((p) =>
        typeof p === 'string' ? p : `<${JSON.stringify(p).match(/"(?:Ref|Fn::GetAtt)":\[?"([^"]+)"/)?.[1]}>`,
      )
      .join('');
    const widgets: Json[] = JSON.parse(text).widgets;
    /** `namespace/metric` → the dimension values it is graphed for. */
    const graphed = new Map<string, string[]>();
    for (const [namespace, name, ...rest] of widgets.flatMap((w) => w.properties.metrics ?? [])) {
      const key = `${namespace}/${name}`;
      graphed.set(key, [
        ...(graphed.get(key) ?? []),
        ...rest.filter((x: unknown) => typeof x === 'string' && x.startsWith('<')),
      ]);
    }
    for (const metric of ['Count', '4xx', '5xx', 'Latency', 'IntegrationLatency']) {
      expect(graphed.get(`AWS/ApiGateway/${metric}`), metric).toContain(`<${logicalId(service.stateless.api)}>`);
    }
    for (const metric of ['Errors', 'Throttles', 'Duration']) {
      const functions = allFunctions().map(([, fn]) => `<${logicalId(fn.fn)}>`);
      expect(graphed.get(`AWS/Lambda/${metric}`), metric).toEqual(expect.arrayContaining(functions));
    }
    expect(graphed.get('AWS/Lambda/IteratorAge')).toEqual([`<${logicalId(service.stateless.notifier.function.fn)}>`]);
    expect(graphed.get('AWS/Lambda/Invocations')).toEqual([
      `<${logicalId(service.stateless.autoRollback.function.fn)}>`,
    ]);
    expect(graphed.get('AWS/SQS/ApproximateNumberOfMessagesVisible')).toEqual([
      `<${logicalId(service.stateless.notifier.failures.queue)}>`,
      `<${logicalId(service.stateless.autoRollback.failures.queue)}>`,
    ]);
    const alarmWidget = widgets.find((w) => w.type === 'alarm');
    expect(alarmWidget?.properties.alarms).toHaveLength(monitoring().alarms.length);
    api.hasOutput('DashboardUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith([{ Ref: dashboardId }])] },
    });
  });
});

describe('the stacks', () => {
  it('are tagged service and stage as stacks (CloudFormation tags the stack), and their resources too', () => {
    const tags = { service: 'platform-rollback', stage: service.settings.stage };
    const assembly = service.app.synth(); // the one assembly of beforeAll: a synth is cached
    for (const stack of [service.stateful, service.stateless]) {
      expect(assembly.getStackArtifact(stack.artifactId).tags, stack.stackName).toEqual(tags);
    }
    const resourceTags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    data.hasResourceProperties('AWS::DynamoDB::Table', { Tags: Match.arrayWith(resourceTags) });
    api.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith(resourceTags) });
  });
});

describe('cdk-nag', () => {
  it('runs on every synth of the app: an unacknowledged finding fails it', () => {
    // A second app, functions not bundled (their code does not matter here), plus a topic that
    // breaks AwsSolutions-SNS2 and SNS3: createService's synth must refuse it.
    const { app, stateful } = createService({
      context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] },
      outdir: mkdtempSync(path.join(tmpdir(), 'cdk-nag-test-')),
    });
    new Topic(stateful, 'Unencrypted');
    try {
      expect(() => app.synth()).toThrow(/AwsSolutions-SNS[23]/);
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  it('reports no unacknowledged finding, error or warning, in either stack', () => {
    const report = new AwsSolutionsChecks().validateScope(service.app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });
});

describe('AWS Control Tower proactive controls (cfn-guard)', () => {
  it('every exemption names its rule and gives a reason', () => {
    const acks = service.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => JSON.stringify(m.data ?? '').includes('cdk-validator-cfnguard::')));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(JSON.stringify(ack.data)).toMatch(/CT\.[A-Z]+\.PR\.\d+: .{20,}/);
  });
});

describe('cfn-lint (the CloudFormation linter)', () => {
  it('finds nothing in either template: no error, no warning; the rules turned off are named in .cfnlintrc.yaml with their reasons', () => {
    const findings = cfnLint(templateFiles);
    expect(findings.map((f) => `${f.Rule.Id} ${f.Location.Path.join('/')}: ${f.Message}`)).toEqual([]);
    // What is turned off: W3005 everywhere (the config says why) ...
    const config = readFileSync(path.join(REPO_ROOT, '.cfnlintrc.yaml'), 'utf8');
    expect([...config.matchAll(/^ {2}- (\w+)$/gm)].map((m) => m[1])).toEqual(['W3005']);
    // ... and E3002 on the dashboard alone (monitoring.ts says why).
    const ignored = [api, data].flatMap((t) =>
      Object.entries(t.toJSON().Resources as Json)
        .filter(([, r]) => r.Metadata?.['cfn-lint'])
        .map(([, r]) => `${r.Type} ${JSON.stringify(r.Metadata['cfn-lint'])}`),
    );
    expect(ignored).toEqual(['AWS::CloudWatch::Dashboard {"config":{"ignore_checks":["E3002"]}}']);
  });
});

describe("the existing alarm's EventBridge rule, put into EventBridge in moto", () => {
  it('delivers that alarm going into ALARM, and nothing else an alarm sends', async () => {
    const [[, rule] = []] = resourcesOf(api, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    const pattern = resolvePseudo(rule?.Properties.EventPattern);
    const name = EXISTING_ALARM.alarmName;
    const at = new Date();
    const arn = alarmArnOf(name, MOTO_REGION, MOTO_ACCOUNT);
    const events = [
      eventBridgeEvent({ name, arn, state: 'ALARM', at }),
      eventBridgeEvent({ name, arn, state: 'OK', previousState: 'ALARM', at }),
      eventBridgeEvent({ name, arn, state: 'INSUFFICIENT_DATA', at }),
      eventBridgeEvent({
        name: 'prod-api-latency',
        arn: alarmArnOf('prod-api-latency', MOTO_REGION, MOTO_ACCOUNT),
        at,
      }),
      // The same name in another account, or another region: another alarm.
      eventBridgeEvent({ name, arn: alarmArnOf(name, MOTO_REGION, '999999999999'), at }),
      eventBridgeEvent({ name, arn: alarmArnOf(name, 'eu-west-1', MOTO_ACCOUNT), at }),
    ];
    expect(await deliveredBy(pattern, events)).toEqual([0]);
  });
});
