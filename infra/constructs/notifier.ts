import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { ServiceFunction } from './service-function.js';

/**
 * An encrypted, TLS-only queue that collects what a function finally failed to do, and an
 * alarm that fires on its first message: a failure there is never silent.
 */
export class FailureQueue extends Construct {
  readonly queue: Queue;
  /** In ALARM while the queue holds a message; add an action to page someone. */
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: { what: string }) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue IS the failure destination (${props.what}); a queue behind it would only move the problem.`,
    });
    Validations.of(this.queue).acknowledge({
      id: 'cdk-validator-cfnguard::sqs_dlq_check',
      reason: `CT.SQS.PR.1: this queue IS the failure destination (${props.what}); a queue behind it would only move the problem.`,
    });
    this.alarm = new Alarm(this, 'Alarm', {
      alarmDescription: `${props.what} failed after every retry: see the queue's messages, fix the cause, re-drive.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

export interface NotifierProps {
  /** The deployments table; must have its stream on (NEW_IMAGE). */
  table: ITable;
  /** The rollback topic. */
  topic: ITopic;
  /** The chat topic, where there is one: each outbox item goes out rendered for chat there too. */
  chatTopic?: ITopic;
  logRetention: RetentionDays;
  /** @default 10 */
  retryAttempts?: number;
}

/**
 * The notification path: the table's stream → the notifier function → the rollback topic.
 * The event source passes only outbox INSERTs (filter criteria), retries a failing batch
 * (bisecting it, resuming from the first failed record: ReportBatchItemFailures), and after
 * the last retry sends the batch's stream coordinates to an encrypted on-failure queue, whose
 * alarm fires. The outbox item itself stays in the table, unpublished (no `publishedAt`).
 *
 * Permissions: read the stream, GetItem and UpdateItem on the table's `OUTBOX#` items only (the
 * publication ledger), sns:Publish on the topic (and the chat topic) and its key. No Query,
 * Scan, PutItem or DeleteItem.
 */
export class Notifier extends Construct {
  readonly function: ServiceFunction;
  readonly failures: FailureQueue;
  /** Notifications are late: the oldest record the notifier has not finished is over 5 minutes old. */
  readonly iteratorAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      entry: 'functions/events/notifier-handler.ts',
      description: 'Publishes rollback notifications from the table outbox (stream) to the rollback topic',
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    })
      .bindTopic(props.topic)
      .bindTable(props.table, TABLE_ACCESS.notifier);
    if (props.chatTopic) this.function.bindTopic(props.chatTopic, 'CHAT_TOPIC_ARN');
    const fn = this.function.fn;

    this.failures = new FailureQueue(this, 'Failed', { what: 'Publishing rollback notifications' });
    fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 10,
        reportBatchItemFailures: true,
        parallelizationFactor: 1, // one batch per shard at a time: messages stay in order
        onFailure: new SqsDlq(this.failures.queue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { entity: { S: FilterRule.isEqual('outbox') } } },
          }),
        ],
      }),
    );
    Validations.of(this.function.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The stream event source grants dynamodb:ListStreams, which supports no resource-level permissions ("*" is its only resource); the stream reads name the stream ARN.',
    });

    this.iteratorAgeAlarm = new Alarm(this, 'LateNotifications', {
      alarmDescription: 'Rollback notifications are more than 5 minutes late (the notifier is failing or throttled).',
      metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 5 * 60_000,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
