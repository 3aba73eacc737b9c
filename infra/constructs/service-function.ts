import { AssetHashType, DockerImage, Duration, type ILocalBundling, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type CfnFunction,
  Code,
  type DurableConfig,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { leadingKeys, type TableAccess } from '../../functions/table-access.js';
import { bundleFunction, NODE_MAJOR, REPO_ROOT } from '../bundling.js';

/** The runtimes NODE_MAJOR may name; a bump there without a runtime here fails the synth. */
const RUNTIMES: Record<number, Runtime> = { 22: Runtime.NODEJS_22_X, 24: Runtime.NODEJS_24_X };

export interface ServiceFunctionProps {
  /** The handler module, relative to the repository root (as in functions/routes.ts). */
  entry: string;
  description?: string;
  /** CloudWatch Logs retention of the function's own log group. */
  logRetention: RetentionDays;
  /** Extra environment; TABLE_NAME is added by bindTable, TOPIC_ARN and CHAT_TOPIC_ARN by bindTopic, CURSOR_KEY_SECRET_ARN by bindCursorKey. */
  environment?: Record<string, string>;
  /** @default 10 seconds: under API Gateway's 30 s integration limit, with room for SDK retries. */
  timeout?: Duration;
  /** @default 512 MB: init of the bundled SDK is CPU-bound, and CPU grows with memory. */
  memorySize?: number;
  /** Makes it a Lambda durable function (the rollback run workflow). */
  durableConfig?: DurableConfig;
}

/**
 * esbuild, run in the synth's own process, bundles one entry into the asset directory
 * (infra/bundling.ts). `entry` is a field, not only a closure: CDK tells assets apart by their
 * bundling options as JSON, and two functions must never share one.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(readonly entry: string) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.entry, outputDir);
    return true;
  }
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
  readonly fn: LambdaFunction;
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

    this.fn = new LambdaFunction(this, 'Function', {
      code: Code.fromAsset(REPO_ROOT, {
        // The asset is what esbuild wrote, so its hash changes exactly when the bundle does.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          local: new EsbuildBundling(props.entry),
          // Never pulled: local bundling always succeeds, and CDK requires an image to fall back on.
          image: DockerImage.fromRegistry(`public.ecr.aws/sam/build-nodejs${NODE_MAJOR}.x`),
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.durableConfig ? { durableConfig: props.durableConfig } : {}),
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'platform-rollback',
        ...props.environment,
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
    // Control Tower proactive controls (cdk-validator-cfnguard), exempted with the reason.
    Validations.of(this.fn).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason:
        'CT.LAMBDA.PR.3: no VPC, because the functions reach only AWS APIs (DynamoDB, SNS, Secrets Manager) over TLS with IAM; a VPC would add NAT or endpoints and cold-start time and guard nothing they do.',
    });
    Validations.of(this.logGroup).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check',
      reason:
        "CT.CLOUDWATCH.PR.2: a function's own log is operational, kept logRetentionDays (a setting); who called what is in the API access log, kept a year by default.",
    });
    Validations.of(this.logGroup).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason:
        'CT.CLOUDWATCH.PR.3: CloudWatch Logs encrypts every log group at rest with its own keys; these logs hold request metadata, never secrets, so a customer key would add a key policy for every reader and protect nothing more.',
    });
    Validations.of(xray).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions: "*" is their only resource.',
    });
  }

  /**
   * Lets the function do `access` to the table and tells it the table's name: one statement
   * per grant, its actions on the table (or the one index it names, by exact ARN, never
   * `index/*`), only on items whose partition key matches the grant's kinds (IAM's
   * `dynamodb:LeadingKeys`; ForAllValues, so a request naming any other key is refused).
   */
  bindTable(table: ITable, access: TableAccess): this {
    for (const grant of access) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: grant.actions.map((action) => `dynamodb:${action}`),
          resources: [grant.index ? `${table.tableArn}/index/${grant.index}` : table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys(grant) } },
        }),
      );
    }
    this.fn.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Lets the function read the key that signs history cursors: `secretsmanager:GetSecretValue`
   * on that one secret, and its ARN as CURSOR_KEY_SECRET_ARN. The function reads the value at
   * init (functions/adapters/cursor-key.ts); the key itself is never in its configuration.
   * The secret is encrypted with the AWS managed key, which needs no grant.
   */
  bindCursorKey(secret: ISecret): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    this.fn.addEnvironment('CURSOR_KEY_SECRET_ARN', secret.secretArn);
    return this;
  }

  /**
   * Lets the function publish to the topic (and use the topic's KMS key, which SNS needs to
   * encrypt what it publishes) and tells it the topic's ARN in `variable`. For the notifier and the sweeper.
   */
  bindTopic(topic: ITopic, variable: 'TOPIC_ARN' | 'CHAT_TOPIC_ARN' = 'TOPIC_ARN'): this {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
    // SNS encrypts with a data key made under the topic's key on the publisher's behalf; the
    // exact actions rather than GenerateDataKey*, so the policy holds no wildcard.
    topic.masterKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.fn.addEnvironment(variable, topic.topicArn);
    return this;
  }
}
