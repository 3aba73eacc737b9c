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
import { alarmsOf } from './topic-key.js';

export interface NotificationTopicPolicyProps {
  topic: ITopic;
  /** The roles that publish the service's notifications (the notifier's, the sweeper's). */
  publishers: IRole[];
  /**
   * Who else, as an AWS service: `alarms`, CloudWatch publishing for alarms of this account
   * and region (the rollback topic: the service's health alarms notify it); `chat`, Amazon Q
   * Developer subscribing its channels, for configurations of this account (the chat topic).
   */
  services: 'alarms' | 'chat';
}

/**
 * Who may publish to one of the service's notification topics: the given roles, and no other
 * IAM principal, whatever its own policies allow, so nobody can forge a `ROLLBACK_REQUESTED`
 * that a pipeline would act on or a message that people in a channel would. Publishing without
 * TLS is denied to all. Beside that, the one AWS service the topic serves (`services`).
 *
 * The topics live in the stateful stack, the publishers here; the policy names their roles, so
 * it lives here too (in the stateful stack it would make the stacks depend on each other).
 * A topic has one policy: this replaces SNS's default one.
 */
export class NotificationTopicPolicy extends Construct {
  readonly policy: TopicPolicy;

  constructor(scope: Construct, id: string, props: NotificationTopicPolicyProps) {
    super(scope, id);
    const { topic } = props;
    const account = Stack.of(this).account;
    const service =
      props.services === 'alarms'
        ? // Without this statement CloudWatch could not publish: SNS's default policy, which let
          // the account's alarms do so, is replaced by this one.
          new PolicyStatement({
            sid: 'AllowCloudWatchAlarmsToPublish',
            principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
            actions: ['sns:Publish'],
            resources: [topic.topicArn],
            conditions: alarmsOf(Stack.of(this)),
          })
        : // A channel configuration that names the topic makes Amazon Q subscribe the channel to
          // it; only configurations of this account may (another account's must not read it).
          new PolicyStatement({
            sid: 'AllowAmazonQToSubscribeChannels',
            principals: [new ServicePrincipal('chatbot.amazonaws.com')],
            actions: ['sns:Subscribe', 'sns:GetTopicAttributes'],
            resources: [topic.topicArn],
            conditions: { StringEquals: { 'aws:SourceAccount': account } },
          });
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
        service,
        // An IAM principal (user, role, session) other than the publishers: denied, even with
        // sns:Publish on "*" in its own policy. AWS services are not IAM principals; the only
        // one allowed to publish at all is CloudWatch, on the rollback topic.
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
