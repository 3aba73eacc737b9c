import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { FOUND_WORK } from '../../functions/events/sweeper.js';
import { TABLE_ACCESS } from '../../functions/table-access.js';
import { ServiceFunction } from './service-function.js';

export interface SweeperProps {
  table: ITable;
  topic: ITopic;
  /** The chat topic, where there is one. */
  chatTopic?: ITopic;
  logRetention: RetentionDays;
  /** @default 5 minutes */
  every?: Duration;
}

/**
 * The outbox sweeper: a function run on a schedule that publishes the outbox items the table
 * stream gave up on (functions/events/sweeper.ts), reading them through the sparse
 * Unpublished index. One run at a time (reserved concurrency 1). Its `alarm` fires when a
 * sweep finds work: the stream path failed someone, even if the sweeper then delivered.
 *
 * Permissions: Query of the Unpublished index and GetItem/UpdateItem of `OUTBOX#` items (the
 * ledger), sns:Publish on the topic (and the chat topic) and its key. Nothing else.
 */
export class Sweeper extends Construct {
  readonly function: ServiceFunction;
  /** A sweep found unpublished notifications older than five minutes. */
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: SweeperProps) {
    super(scope, id);
    this.function = new ServiceFunction(this, 'Function', {
      entry: 'functions/events/sweeper-handler.ts',
      description: 'Publishes the outbox notifications the table stream did not (sparse Unpublished index)',
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    })
      .bindTopic(props.topic)
      .bindTable(props.table, TABLE_ACCESS.sweeper);
    if (props.chatTopic) this.function.bindTopic(props.chatTopic, 'CHAT_TOPIC_ARN');
    // Two sweeps at once could both publish one item before either marks it.
    (this.function.fn.node.defaultChild as CfnFunction).reservedConcurrentExecutions = 1;

    new Rule(this, 'Schedule', {
      description: 'Runs the outbox sweeper',
      schedule: Schedule.rate(props.every ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.function.fn, { retryAttempts: 0 })],
    });

    const found = new MetricFilter(this, 'FoundWork', {
      logGroup: this.function.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', FOUND_WORK),
      // The stack's name keeps the stages of one account apart.
      metricNamespace: `PlatformRollback/${Stack.of(this).stackName}`,
      metricName: 'UnpublishedNotificationsSwept',
      metricValue: '$.found',
    });
    this.alarm = new Alarm(this, 'Alarm', {
      alarmDescription:
        'The outbox sweeper found notifications the table stream did not publish within 5 minutes (see the notifier errors and failure queue, and the sweeper log).',
      metric: found.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
