import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../functions/adapters/table-schema.js';
import { FALLBACK, ROUTES } from '../../functions/routes.js';
import { createService, type Service } from '../../infra/app.js';
import { BUNDLING, NODE_MAJOR } from '../../infra/bundling.js';
import { REPO_ROOT } from '../../infra/constructs/service-function.js';

/**
 * The deployed shape, checked offline. The app is built and synthesized ONCE (esbuild bundles
 * every function, as `cdk synth` does), with cdk.json's context (plus an opsEmail) so the
 * defaults tested are the ones deployed; every test reads that one cloud assembly.
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
/** What the store's calls need (GetCommand, QueryCommand; TransactWriteItems, UpdateItem), sorted. */
const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
const WRITE = [
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

let outdir: string;
let service: Service;
let api: Template;
let data: Template;
let apiResources: Json;

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (template: Template, type: string): [string, Json][] =>
  Object.entries(template.findResources(type));
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
  service = createService({ context: { ...cdkContext, opsEmail: OPS_EMAIL }, outdir });
  const assembly = service.app.synth();
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

  it('has one route and one function per route, plus the fallback, and nothing else', () => {
    // (When the notifier and auto-rollback functions join this stack, count them here too.)
    api.resourceCountIs('AWS::ApiGatewayV2::Route', ROUTES.length + 1);
    api.resourceCountIs('AWS::Lambda::Function', ROUTES.length + 1);
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
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
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
          Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'platform-rollback' },
        },
      });
      expect(props.Timeout, `${id} must time out before API Gateway's 30 s`).toBeLessThan(30);
      const logGroup = apiResources[props.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties.RetentionInDays).toBe(cdkContext.logRetentionDays);
    }
  });

  it('is bundled by esbuild as ESM with the require banner and a source map, the AWS SDK inside', () => {
    for (const [id, fn] of resourcesOf(api, 'AWS::Lambda::Function')) {
      const assetDir = path.join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
      expect(code.startsWith(BUNDLING.banner), id).toBe(true);
      expect(existsSync(path.join(assetDir, 'index.mjs.map')), id).toBe(true);
      expect(code, `${id} must not import the SDK from the runtime`).not.toMatch(/from\s*["']@aws-sdk\//);
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

describe('least privilege', () => {
  const dynamoActions = (id: string) =>
    statementsOf(id)
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('dynamodb:'))
      .sort();

  it.each(ROUTES.filter((r) => r.method === 'GET').map((r) => [r.id]))('%s (GET) may only read', (id) => {
    expect(dynamoActions(id)).toEqual(READ);
    for (const action of WRITE_ACTIONS) expect(dynamoActions(id)).not.toContain(action);
  });

  it.each(ROUTES.filter((r) => r.access === 'write').map((r) => [r.id]))('%s may write, never delete', (id) => {
    expect(dynamoActions(id)).toEqual(WRITE);
    expect(dynamoActions(id)).not.toContain('dynamodb:DeleteItem');
  });

  it('the rollback route can update a record', () => {
    expect(dynamoActions('RollbackDeployment')).toContain('dynamodb:UpdateItem');
  });

  it('no identity or topic policy allows Scan, DeleteItem, or any wildcard action', () => {
    const statements = [
      ...resourcesOf(api, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
      ...resourcesOf(data, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
      ...resourcesOf(data, 'AWS::SNS::TopicPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement),
    ] as Statement[];
    expect(statements.length).toBeGreaterThan(ROUTES.length);
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(allowed).not.toContain('dynamodb:Scan');
    expect(allowed).not.toContain('dynamodb:DeleteItem');
    expect(allowed.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('names a resource in every statement, except X-Ray, which has none to name', () => {
    const starred = resourcesOf(api, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
    expect(starred.length).toBe(ROUTES.length + 1);
    expect([...new Set(starred.flatMap(actionsOf))].sort()).toEqual([
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

  it('refuses publishers that do not use TLS', () => {
    data.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms encrypt with its key, so alarm actions can publish to it', () => {
    data.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
          }),
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
