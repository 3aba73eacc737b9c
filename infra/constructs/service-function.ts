import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, type CfnFunction, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/adapters/table-schema.js';
import type { Access } from '../../functions/routes.js';
import { BUNDLING, NODE_MAJOR } from '../bundling.js';

/** The repository root: route entries in functions/routes.ts are relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The runtimes NODE_MAJOR may name; a bump there without a runtime here fails the synth. */
const RUNTIMES: Record<number, Runtime> = { 22: Runtime.NODEJS_22_X, 24: Runtime.NODEJS_24_X };

/**
 * The DynamoDB actions each access level needs, and nothing more. `read` is what the store's
 * GetCommand and QueryCommand send. `write` adds what its TransactWriteItems and UpdateItem
 * calls are authorised as (a transaction is checked item by item: Put, Update and
 * ConditionCheck). No DeleteItem (records are never deleted: expiry is TTL's job, which needs no
 * permission), no Scan (every access pattern is a Query or GetItem), no BatchWriteItem.
 */
export const TABLE_ACTIONS: Record<Access, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:ConditionCheckItem',
  ],
};

export interface ServiceFunctionProps {
  /** The handler module, relative to the repository root (as in functions/routes.ts). */
  entry: string;
  description?: string;
  /** CloudWatch Logs retention of the function's own log group. */
  logRetention: RetentionDays;
  /** Extra environment; TABLE_NAME is added by bindTable, TOPIC_ARN by bindTopic, CURSOR_KEY by bindCursorKey. */
  environment?: Record<string, string>;
  /** @default 10 seconds: under API Gateway's 30 s integration limit, with room for SDK retries. */
  timeout?: Duration;
  /** @default 512 MB: init of the bundled SDK is CPU-bound, and CPU grows with memory. */
  memorySize?: number;
}

/**
 * Every Lambda function of the service, with every default in one place: Node.js on arm64,
 * bundled by esbuild with infra/bundling.ts (so what the benchmark measures is what ships),
 * source-mapped stack traces, its own log group with a retention, JSON logs, active X-Ray,
 * and a role that starts with nothing but its own logs and X-Ray. Access is granted only through `bindTable` and `bindTopic`
 * (and the cursor key through `bindCursorKey`), so a
 * function's permissions can be read off the call that created it.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const runtime = RUNTIMES[NODE_MAJOR];
    if (!runtime) throw new Error(`infra/bundling.ts NODE_MAJOR=${NODE_MAJOR} has no Lambda runtime in RUNTIMES`);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs of a function that no longer exists have no reader; the stateless stack owns them.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of the AWSLambdaBasicExecutionRole managed policy: that policy
    // lets the function write to any log group in the account; this one, only its own.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'platform-rollback',
        ...props.environment,
      },
      bundling: {
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
        banner: BUNDLING.banner,
      },
    });
    // The role must carry its policy before the function can be invoked.
    this.fn.node.addDependency(this.role);

    // X-Ray, active. Set here rather than with `tracing: Tracing.ACTIVE`, which would put the
    // X-Ray statement (Resource "*") into the role's default policy: in a policy of its own,
    // the cdk-nag acknowledgement below covers that statement and nothing a later grant adds.
    (this.fn.node.defaultChild as CfnFunction).tracingConfig = { mode: 'Active' };
    const xray = new Policy(this, 'XRay', {
      roles: [this.role],
      statements: [
        new PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
      ],
    });
    this.fn.node.addDependency(xray);

    // cdk-nag findings this construct causes, acknowledged where the cause is visible.
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `Node.js ${NODE_MAJOR} is pinned in infra/bundling.ts (NODE_MAJOR): esbuild targets it and the benchmark measures it; it is a supported Lambda runtime, and moving to a newer one is a deliberate change of that constant.`,
    });
    Validations.of(xray).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions: "*" is their only resource.',
    });
  }

  /**
   * Lets the function use the table at `access` and tells it the table's name. Grants the
   * table and the `ByTag` index by exact ARN, never `index/*`, and never Scan or DeleteItem.
   */
  bindTable(table: ITable, access: Access): this {
    const indexArn = `${table.tableArn}/index/${TABLE_SCHEMA.tagIndex.name}`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...TABLE_ACTIONS[access]], resources: [table.tableArn, indexArn] }),
    );
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Gives the function the key that signs history cursors, as CURSOR_KEY. The value is a
   * CloudFormation dynamic reference, resolved at deploy into the function's environment, so
   * the function needs no Secrets Manager permission and no call at cold start. That puts the
   * key in the function's configuration, readable by whoever may read that: acceptable here,
   * because the key only makes cursors tamper-evident; a reader of it could forge a cursor,
   * which still reads nothing its IAM-authorized caller could not read with a first-page call.
   */
  bindCursorKey(secret: ISecret): this {
    this.fn.addEnvironment('CURSOR_KEY', secret.secretValue.unsafeUnwrap());
    return this;
  }

  /**
   * Lets the function publish to the topic (and use the topic's KMS key, which SNS needs to
   * encrypt what it publishes) and tells it the topic's ARN. For the notifier and the automated rollback.
   */
  bindTopic(topic: ITopic): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    // SNS encrypts with a data key made under the topic's key on the publisher's behalf; the
    // exact actions rather than GenerateDataKey*, so the policy holds no wildcard.
    topic.masterKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.fn.addEnvironment('TOPIC_ARN', topic.topicArn);
    return this;
  }
}
