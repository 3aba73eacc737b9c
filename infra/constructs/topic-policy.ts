import { Stack } from 'aws-cdk-lib';
import {
  AnyPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { type ITopic, TopicPolicy } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmsOf } from '../stacks/stateful-stack.js';

export interface RollbackTopicPolicyProps {
  topic: ITopic;
  /** The roles that publish the service's notifications (the notifier's, the sweeper's). */
  publishers: IRole[];
}

/**
 * Who may publish to the rollback topic: the given roles, and CloudWatch for alarms of this
 * account and region (the service's health alarms). Everyone else in the account is denied
 * explicitly, whatever their own policies allow, so nobody can forge a `ROLLBACK_REQUESTED`
 * that a pipeline would act on. Publishing without TLS is denied to all.
 *
 * The topic lives in the stateful stack, the publishers here; the policy names their roles, so
 * it lives here too (in the stateful stack it would make the stacks depend on each other).
 * A topic has one policy: this replaces SNS's default one.
 */
export class RollbackTopicPolicy extends Construct {
  readonly policy: TopicPolicy;

  constructor(scope: Construct, id: string, props: RollbackTopicPolicyProps) {
    super(scope, id);
    const { topic } = props;
    const document = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'AllowPublishThroughSSLOnly',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        // Without this statement CloudWatch could not publish: SNS's default policy, which let
        // the account's alarms do so, is replaced by this one.
        new PolicyStatement({
          sid: 'AllowCloudWatchAlarmsToPublish',
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: alarmsOf(Stack.of(this)),
        }),
        // An IAM principal (user, role, session) other than the publishers: denied, even with
        // sns:Publish on "*" in its own policy. AWS services are not IAM principals; the only
        // one allowed at all is CloudWatch, above.
        new PolicyStatement({
          sid: 'DenyPublishExceptByTheNotifier',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            ArnNotEquals: { 'aws:PrincipalArn': props.publishers.map((role) => role.roleArn) },
            Bool: { 'aws:PrincipalIsAWSService': 'false' },
          },
        }),
      ],
    });
    this.policy = new TopicPolicy(this, 'Resource', { topics: [topic], policyDocument: document });
  }
}
