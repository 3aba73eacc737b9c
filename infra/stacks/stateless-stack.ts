import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FALLBACK, ROUTES } from '../../functions/routes.js';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { AutoRollback } from '../constructs/auto-rollback.js';
import { Monitoring } from '../constructs/monitoring.js';
import { Notifier } from '../constructs/notifier.js';
import { OrganizationAlarmBus } from '../constructs/organization-alarm-bus.js';
import { grantReadinessChecks, ReadinessRefresh } from '../constructs/readiness.js';
import { RollbackRuns } from '../constructs/rollback-runs.js';
import { ServiceFunction } from '../constructs/service-function.js';
import { Sweeper } from '../constructs/sweeper.js';
import { NotificationTopicPolicy } from '../constructs/topic-policy.js';
import type { Settings } from './settings.js';

export interface StatelessStackProps extends StackProps {
  settings: Settings;
  /** The deployments table, from the stateful stack. */
  table: ITable;
  /** The rollback topic (its key is `topic.masterKey`), from the stateful stack. */
  topic: ITopic;
  /** The chat topic, from the stateful stack, where the `chat` setting made one. */
  chatTopic?: ITopic;
  /** The key that signs history cursors, from the stateful stack; only routes flagged `cursorKey` get it. */
  cursorKey: ISecret;
}

/**
 * One access log line per request, as JSON. The caller's IAM principal is in it, so the log
 * answers "which pipeline called this" without reading the function logs.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    caller: '$context.identity.userArn',
    authorizerError: '$context.authorizer.error',
    error: '$context.error.message',
  }),
);

/**
 * The code: the HTTP API and one function per route of functions/routes.ts, plus the
 * `$default` route for everything else; the notifier (table stream → rollback topic); the
 * automated rollback, with the alarms of the `autoRollback` setting wired to it; and the
 * service's own health alarms and dashboard. Holds no data, so it can be destroyed and
 * redeployed freely; the table and topic come in as props from the stateful stack.
 *
 * An alarm defined in this app rolls back an environment with
 * `stack.autoRollback.watch(alarm, { environment: 'prod', window: Duration.minutes(60) })`.
 */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** Route id (and `Fallback`) to its function: the functions behind the API. */
  readonly functions = new Map<string, ServiceFunction>();
  readonly notifier: Notifier;
  /** Publishes what the notifier did not (the outbox sweeper). */
  readonly sweeper: Sweeper;
  /** `watch()` an alarm of this app here; existing alarms come from the `autoRollback` setting. */
  readonly autoRollback: AutoRollback;
  readonly rollbackRuns: RollbackRuns;
  /** Keeps the environment items' readiness current (stream and hourly). */
  readonly readinessRefresh: ReadinessRefresh;
  /** The bus alarms of the organization's other accounts reach the rollback through (`organizationId` set). */
  readonly organizationAlarms: OrganizationAlarmBus | undefined;
  /** The service's health alarms (all notify the rollback topic) and its dashboard. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings, table } = props;
    const iam = new HttpIamAuthorizer();

    this.api = new HttpApi(this, 'Api', {
      description: `platform-rollback deployments API (${settings.stage})`,
      // The stage is made below, with access logs and throttling, which the default one lacks.
      // No corsPreflight: pipelines call from servers, never from browsers.
      createDefaultStage: false,
    });

    // The record of who called what (a rollback's caller among it): kept when this stack is
    // deleted or replaced, for its own retention (accessLogRetentionDays, a year by default).
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.accessLogRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason:
        'CT.CLOUDWATCH.PR.3: CloudWatch Logs encrypts every log group at rest with its own keys; the access log holds request metadata and caller ARNs, never secrets or bodies.',
    });
    if (settings.accessLogRetention < RetentionDays.ONE_YEAR) {
      Validations.of(accessLogs).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check',
        reason: `CT.CLOUDWATCH.PR.2: the accessLogRetentionDays setting asks for ${settings.accessLogRetention} days.`,
      });
    }
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });

    // Each route has its own token bucket (the stage's default settings apply per route);
    // the write and rollback routes get theirs from settings of their own.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of ROUTES.filter((r) => r.throttle)) {
      const { rateLimit, burstLimit } = settings.routeThrottle[route.throttle ?? 'write'];
      routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: rateLimit,
        ThrottlingBurstLimit: burstLimit,
      };
    }

    // Every function that marks records ROLLED_BACK (the tag route, the alarm path, the run
    // workflow) holds by the same setting; unset, they hold every environment (the default).
    const holdAfterRollback = settings.holdAfterRollback ? JSON.stringify(settings.holdAfterRollback) : undefined;
    this.rollbackRuns = new RollbackRuns(this, 'RollbackRuns', {
      table,
      logRetention: settings.logRetention,
      targets: settings.redeployTargets,
    });
    for (const route of ROUTES) {
      const fn = new ServiceFunction(this, route.id, {
        entry: route.entry,
        description: `${route.method} ${route.path}: ${route.summary}`,
        logRetention: settings.logRetention,
        // The use cases enforce it (functions/core/access-policy.ts); absent, nobody is confined.
        ...(settings.accessPolicy ? { environment: { ACCESS_POLICY: JSON.stringify(settings.accessPolicy) } } : {}),
      }).bindTable(table, TABLE_ACCESS[route.table]);
      if (route.cursorKey) fn.bindCursorKey(props.cursorKey);
      if (route.startsRuns) this.rollbackRuns.grantStart(fn);
      if (route.readsTargets) fn.fn.addEnvironment('REDEPLOY_TARGETS', this.rollbackRuns.targets);
      if (route.rollsBack && holdAfterRollback) fn.fn.addEnvironment('HOLD_AFTER_ROLLBACK', holdAfterRollback);
      if (route.checksReadiness) grantReadinessChecks(fn, fn, settings.redeployTargets);
      this.functions.set(route.id, fn);
      new HttpRoute(this.api, `${route.id}Route`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn.fn),
        authorizer: iam,
      });
    }

    const cfnStage = this.stage.node.defaultChild as CfnStage;
    // An override, in CloudFormation's casing: a map assigned to the L1 property is emitted as is.
    cfnStage.addPropertyOverride('RouteSettings', routeSettings);
    // Route settings may only name routes that exist: deploy the stage after them.
    for (const child of this.api.node.children) if (child instanceof HttpRoute) this.stage.node.addDependency(child);

    // Unknown paths and methods reach the fallback, which answers the contract's 404/405 as
    // problem+json; it reads nothing, so it is bound to no table. IAM-only like every route:
    // an unauthenticated caller learns nothing, not even which paths exist.
    const fallback = new ServiceFunction(this, FALLBACK.id, {
      entry: FALLBACK.entry,
      description: 'Every request no route matched: 404 or 405 as problem+json',
      logRetention: settings.logRetention,
    });
    this.functions.set(FALLBACK.id, fallback);
    new HttpRoute(this.api, `${FALLBACK.id}Route`, {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration(`${FALLBACK.id}Integration`, fallback.fn),
      authorizer: iam,
    });

    const topics = { topic: props.topic, chatTopic: props.chatTopic };
    this.notifier = new Notifier(this, 'Notifier', { table, ...topics, logRetention: settings.logRetention });
    this.sweeper = new Sweeper(this, 'Sweeper', { table, ...topics, logRetention: settings.logRetention });
    const publishers = [this.notifier.function.role, this.sweeper.function.role];
    // The chat renderings name the resources a rollback run acts on (the ECS service, the pipeline).
    if (props.chatTopic) {
      for (const fn of [this.notifier.function, this.sweeper.function]) {
        fn.fn.addEnvironment('REDEPLOY_TARGETS', this.rollbackRuns.targets);
      }
    }
    new NotificationTopicPolicy(this, 'RollbackTopicPolicy', { topic: props.topic, publishers, services: 'alarms' });
    if (props.chatTopic) {
      new NotificationTopicPolicy(this, 'ChatTopicPolicy', { topic: props.chatTopic, publishers, services: 'chat' });
    }
    this.readinessRefresh = new ReadinessRefresh(this, 'ReadinessRefresh', {
      table,
      targets: settings.redeployTargets,
      logRetention: settings.logRetention,
    });
    this.autoRollback = new AutoRollback(this, 'AutoRollback', { table, logRetention: settings.logRetention });
    this.rollbackRuns.grantStart(this.autoRollback.function);
    if (holdAfterRollback) {
      this.autoRollback.function.fn.addEnvironment('HOLD_AFTER_ROLLBACK', holdAfterRollback);
      this.rollbackRuns.function.fn.addEnvironment('HOLD_AFTER_ROLLBACK', holdAfterRollback);
    }
    for (const { alarmName, environment, windowMinutes } of settings.autoRollback) {
      this.autoRollback.watchByName(alarmName, { environment, window: Duration.minutes(windowMinutes) });
    }
    if (settings.organizationId) {
      this.organizationAlarms = new OrganizationAlarmBus(this, 'OrganizationAlarms', {
        organizationId: settings.organizationId,
        autoRollback: this.autoRollback,
      });
      new CfnOutput(this, 'OrganizationAlarmBusArn', {
        value: this.organizationAlarms.bus.eventBusArn,
        description: "Workload accounts' alarm rules target this bus",
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: this.stage,
      functions: new Map([
        ...this.functions,
        ['Notifier', this.notifier.function],
        ['AutoRollback', this.autoRollback.function],
        ['Sweeper', this.sweeper.function],
        ['RollbackRuns', this.rollbackRuns.function],
        ['ReadinessRefresh', this.readinessRefresh.function],
      ]),
      alarms: [this.sweeper.alarm, this.readinessRefresh.failures.alarm],
      notifier: this.notifier,
      autoRollback: this.autoRollback,
      alarmTopic: props.topic,
    });

    // Lambda lets API Gateway invoke each function for this API only (SourceArn), and for this
    // account (SourceAccount, as Control Tower's CT.LAMBDA.PR.2 asks of a service principal).
    for (const child of this.api.node.findAll()) {
      if (child instanceof CfnPermission && this.resolve(child.principal) === 'apigateway.amazonaws.com') {
        child.sourceAccount = this.account;
        Validations.of(child).acknowledge({
          id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
          reason:
            "CT.LAMBDA.PR.2: SourceArn (this API's routes) and SourceAccount are set, but as CloudFormation expressions (the stack names no account), which the rule's static check does not read.",
        });
      }
    }

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Base URL of the API; routes start at /api/v1/platform/deployments',
    });
    new CfnOutput(this, 'AutoRollbackFunctionArn', {
      value: this.autoRollback.function.fn.functionArn,
      description: 'The automated rollback function, which the watched alarms invoke',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
      description: "The service's CloudWatch dashboard",
    });
  }
}
