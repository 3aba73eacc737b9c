import { type CfnResource, Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  type Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { AutoRollback } from './auto-rollback.js';
import type { Notifier } from './notifier.js';
import type { ServiceFunction } from './service-function.js';

export interface MonitoringProps {
  /** The API's stage: its 5xx are the callers' failures. */
  stage: HttpStage;
  /** Every function of the service by a short name (route id, `Notifier`, `AutoRollback`). */
  functions: ReadonlyMap<string, ServiceFunction>;
  notifier: Notifier;
  autoRollback: AutoRollback;
  /** More alarms of the service's health (made by other constructs), notified and shown like these. */
  alarms?: Alarm[];
  /** Where every health alarm sends its ALARM and OK notifications. */
  alarmTopic: ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);
/** API 5xx in five minutes that page someone; one may be a caller's bad luck, five are not. */
const API_5XX_THRESHOLD = 5;

/**
 * The service's own health: an alarm on each function's errors and throttles, on the API's
 * 5xx, plus the failure-queue and late-notification alarms the Notifier and AutoRollback
 * already make; all notify `alarmTopic` when they fire and when they recover. And one
 * dashboard for the lot.
 *
 * These alarms watch the rollback service itself, never a deployment: none has the
 * auto-rollback function as an action, so a fault here can never roll anything back.
 * No alarm and no dashboard has a physical name, so stages can share an account.
 */
export class Monitoring extends Construct {
  /** Every health alarm, those made here and those reused from the constructs. */
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage, functions, notifier, autoRollback } = props;

    // No label: a labelled metric makes the alarm a metric-math one, harder to read in the console.
    const api5xx = stage.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarms.push(
      new Alarm(this, 'Api5xx', {
        alarmDescription: `The API answered ${API_5XX_THRESHOLD} or more 5xx in 5 minutes: see the functions' errors and the access log.`,
        metric: api5xx,
        threshold: API_5XX_THRESHOLD,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const [name, fn] of functions) {
      for (const [what, metric] of [
        ['Errors', fn.fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' })],
        ['Throttles', fn.fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' })],
      ] as const) {
        this.alarms.push(
          new Alarm(this, `${name}${what}`, {
            alarmDescription: `${name}: ${what.toLowerCase()} in the last 5 minutes (see its log group).`,
            metric,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }
    for (const alarm of [
      notifier.failures.alarm,
      notifier.iteratorAgeAlarm,
      autoRollback.failures.alarm,
      ...(props.alarms ?? []),
    ]) {
      this.alarms.push(alarm);
    }
    const notify = new SnsAction(props.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: dashboardRows(props, api5xx, this.alarms),
    });
    // cfn-lint's schema of AWS::CloudWatch::Dashboard predates its Tags (CloudFormation documents
    // and accepts them; the stack tags put them there), so it reports them as unknown (E3002).
    // Turned off for this resource alone, so every other template is still checked in full
    // (.cfnlintrc.yaml lists it).
    (this.dashboard.node.defaultChild as CfnResource).addMetadata('cfn-lint', {
      config: { ignore_checks: ['E3002'] },
    });
  }
}

/** The dashboard, top to bottom: alarms, the API, the functions, the notification and rollback paths. */
function dashboardRows(props: MonitoringProps, api5xx: Metric, alarms: Alarm[]): IWidget[][] {
  const { stage, functions, notifier, autoRollback } = props;
  const graph = (title: string, left: IMetric[], unit = '') =>
    new GraphWidget({ title: unit ? `${title} (${unit})` : title, left, width: 8, height: 6 });
  const perFunction = (metricOf: (fn: ServiceFunction, label: string) => IMetric) =>
    [...functions].map(([name, fn]) => metricOf(fn, name));
  const period = Duration.minutes(1);
  const sum = { period, statistic: 'Sum' } as const;

  return [
    [
      new TextWidget({
        markdown:
          '# platform-rollback\nThe deployments API, its functions, the notification path (table stream → notifier → topic) and the automated rollback. Every alarm below notifies the rollback topic.',
        width: 24,
        height: 2,
      }),
    ],
    [new AlarmStatusWidget({ title: 'Health alarms', alarms, width: 24, height: 4 })],
    [
      graph('API requests', [stage.metricCount({ ...sum, label: 'requests' })], 'count'),
      graph(
        'API errors',
        [stage.metricClientError({ ...sum, label: '4xx' }), api5xx.with({ period, label: '5xx' })],
        'count',
      ),
      graph(
        'API latency',
        [
          stage.metricLatency({ period, statistic: 'p50', label: 'p50' }),
          stage.metricLatency({ period, statistic: 'p99', label: 'p99' }),
          stage.metricIntegrationLatency({ period, statistic: 'p99', label: 'integration p99' }),
        ],
        'ms',
      ),
    ],
    [
      graph(
        'Function errors',
        perFunction((fn, label) => fn.fn.metricErrors({ ...sum, label })),
        'count',
      ),
      graph(
        'Function throttles',
        perFunction((fn, label) => fn.fn.metricThrottles({ ...sum, label })),
        'count',
      ),
      graph(
        'Function duration p99',
        perFunction((fn, label) => fn.fn.metricDuration({ period, statistic: 'p99', label })),
        'ms',
      ),
    ],
    [
      graph(
        'Notifier iterator age (how late notifications are)',
        [notifier.function.fn.metric('IteratorAge', { period, statistic: 'Maximum', label: 'max' })],
        'ms',
      ),
      graph(
        'Failure queues (messages waiting)',
        [
          notifier.failures.queue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Maximum',
            label: 'notifier',
          }),
          autoRollback.failures.queue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Maximum',
            label: 'auto-rollback',
          }),
        ],
        'count',
      ),
      graph(
        'Auto-rollback invocations',
        [
          autoRollback.function.fn.metricInvocations({ ...sum, label: 'invocations' }),
          autoRollback.function.fn.metricErrors({ ...sum, label: 'errors' }),
        ],
        'count',
      ),
    ],
  ];
}
