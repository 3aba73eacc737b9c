import { ArnFormat, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/adapters/table-schema.js';
import type { Settings } from './settings.js';

export interface StatefulStackProps extends StackProps {
  settings: Settings;
}

/**
 * What must outlive any deploy of the code: the deployments table, and the rollback topic
 * with its key (subscribers confirm once; a new topic would drop them). Kept apart from the
 * functions so a bad function deploy, or deleting the API stack, cannot touch the data.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly topic: Topic;
  /** The topic's key; publishers need GenerateDataKey and Decrypt on it (ServiceFunction.bindTopic). */
  readonly topicKey: Key;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { partitionKey, sortKey, tagIndex, ttlAttribute, streamView } = TABLE_SCHEMA;

    this.table = new Table(this, 'Deployments', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // The AWS managed key (aws/dynamodb): its use is logged in CloudTrail, it costs nothing,
      // and no key policy has to follow every new reader (the stream-fed notifier among them).
      // The records are deployment metadata, not customer data; IAM on the table is the control.
      encryption: TableEncryption.AWS_MANAGED,
      stream: StreamViewType[streamView],
      timeToLiveAttribute: ttlAttribute,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: tagIndex.name,
      partitionKey: { name: tagIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tagIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // A customer managed key, because the AWS managed aws/sns key cannot be used by CloudWatch
    // alarms or other AWS services publishing to the topic: its key policy cannot be changed.
    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the platform-rollback notification topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarm actions publish to the topic as the CloudWatch service, not as a role of
    // this account, so only the key policy can let them encrypt (AWS's documented statement).
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'RollbackTopic', {
      displayName: `platform-rollback ${props.settings.stage}`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // The topic's policy (enforceSSL made one) replaces SNS's default policy, whose
    // account-wide allow is what lets CloudWatch alarms publish; without this statement the
    // service's health alarms (StatelessStack's Monitoring) would fail with "no resource-based
    // policy allows the SNS:Publish action". Only alarms of this account and region.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.settings.opsEmail) this.topic.addSubscription(new EmailSubscription(props.settings.opsEmail));

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The deployments table' });
    new CfnOutput(this, 'TopicArn', {
      value: this.topic.topicArn,
      description: 'Rollback notifications; subscribe pipelines and chat here',
    });
  }
}
