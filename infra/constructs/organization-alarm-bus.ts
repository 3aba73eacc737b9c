import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { AutoRollback } from './auto-rollback.js';

/** An AWS Organizations id: `o-` and 10 to 32 lower-case letters or digits. */
export const ORGANIZATION_ID_PATTERN = /^o-[a-z0-9]{10,32}$/;

export interface OrganizationAlarmBusProps {
  /** The organization whose accounts may send alarm state changes (`aws:PrincipalOrgID`). */
  organizationId: string;
  /** The automated rollback the alarms feed. */
  autoRollback: AutoRollback;
}

/**
 * How alarms in the organization's other accounts reach the automated rollback: an event bus
 * that only principals of the organization may put events on, and a rule forwarding every
 * CloudWatch alarm's transition into ALARM on it to the auto-rollback function (as
 * `AutoRollback.watchByName` does for this account's alarms). The function maps alarm names
 * to environments (the `autoRollback` setting), so an alarm it does not know is ignored.
 *
 * A workload account adds one rule on its default bus whose target is this bus (see
 * docs/REDEPLOY-TARGETS.md, "Alarms in other accounts").
 */
export class OrganizationAlarmBus extends Construct {
  readonly bus: EventBus;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: OrganizationAlarmBusProps) {
    super(scope, id);
    if (!ORGANIZATION_ID_PATTERN.test(props.organizationId)) {
      throw new Error(`OrganizationAlarmBus: "${props.organizationId}" is not an organization id (o-xxxxxxxxxx)`);
    }
    this.bus = new EventBus(this, 'Bus', { description: 'CloudWatch alarm state changes from the organization' });
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OrganizationAlarms',
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
      }),
    );
    this.rule = new Rule(this, 'AlarmsToRollback', {
      eventBus: this.bus,
      description: 'Alarms of the organization going into ALARM start the automated rollback',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new LambdaFunction(props.autoRollback.function.fn, {
          deadLetterQueue: props.autoRollback.failures.queue,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
