import { Stack, Validations } from 'aws-cdk-lib';
import { CfnMicrosoftTeamsChannelConfiguration, CfnSlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ChatSettings } from '../stacks/settings.js';
import { alarmArns, topicKey } from './topic-key.js';

export interface ChatTopicProps {
  /** The `chat` setting: which channels to connect, if any. */
  chat: ChatSettings;
  stage: string;
}

/**
 * The chat topic: every notification again, rendered for people in Amazon Q Developer's
 * custom-notification schema (functions/core/chat-notification.ts), so that a Slack or Teams
 * channel shows it; the rollback topic keeps the JSON pipelines filter on. Encrypted with a
 * key of its own, whose policy lets nobody but the account's IAM (the publishers' grants) use
 * it: no AWS service publishes here. Who may publish is the topic policy's business, in the
 * API stack beside the publishers it names (NotificationTopicPolicy).
 *
 * With `slack` or `teams`, also the channel configurations subscribed to it. Their channel
 * role can act on nothing (no policy at all) and their guardrail, the most any member of the
 * channel can ever do through Amazon Q, is reading this account's alarms: notifications need
 * no permission, and a chat channel must not become a way into the account.
 */
export class ChatTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  readonly slack: CfnSlackChannelConfiguration | undefined;
  readonly teams: CfnMicrosoftTeamsChannelConfiguration | undefined;

  constructor(scope: Construct, id: string, props: ChatTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = topicKey(this, 'Key', 'Encrypts the platform-rollback chat topic');
    this.topic = new Topic(this, 'Topic', {
      displayName: `platform-rollback ${props.stage} (chat)`,
      masterKey: this.key,
      enforceSSL: false,
    });

    const { slack, teams } = props.chat;
    if (!slack && !teams) return;
    const role = new Role(this, 'ChannelRole', {
      assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
      description: 'Amazon Q Developer channel role for platform-rollback notifications: no permissions at all',
    });
    const guardrail = new ManagedPolicy(this, 'Guardrail', {
      description: 'The most a platform-rollback chat channel may do through Amazon Q Developer: read alarms',
      statements: [
        new PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'],
          resources: [alarmArns(stack)],
        }),
      ],
    });
    Validations.of(guardrail).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
      reason:
        "A channel guardrail caps what the channel may do; reading this account's alarms is its whole scope. The channel role itself has no permissions.",
    });
    const common = {
      iamRoleArn: role.roleArn,
      guardrailPolicies: [guardrail.managedPolicyArn],
      snsTopicArns: [this.topic.topicArn],
      userRoleRequired: false,
      // Delivery errors (a message Amazon Q cannot show) reach CloudWatch Logs.
      loggingLevel: 'ERROR',
    };
    // Amazon Q requires a configuration name, unique in the account: the stage keeps them apart.
    const name = (kind: string) => `platform-rollback-${props.stage}-${kind}`.slice(0, 128);
    if (slack) {
      this.slack = new CfnSlackChannelConfiguration(this, 'Slack', {
        ...common,
        configurationName: name('slack'),
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
      });
    }
    if (teams) {
      this.teams = new CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        ...common,
        configurationName: name('teams'),
        teamId: teams.teamId,
        teamsTenantId: teams.tenantId,
        teamsChannelId: teams.channelId,
      });
    }
  }
}
