import { ArnFormat, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/*
 * What the notification topics' keys and policies share: the key itself, and the conditions
 * under which CloudWatch alarms may use the rollback topic.
 */

/**
 * The customer managed key of a notification topic: rotating, retained with the topic, and
 * with no grants made by hand (only AWS services may make them, for their own resources).
 * `allow` goes into its policy before that denial: the AWS services that must encrypt for
 * the topic (a publisher's role needs only its own grant, from ServiceFunction.bindTopic).
 */
export function topicKey(scope: Construct, id: string, description: string, allow: PolicyStatement[] = []): Key {
  const key = new Key(scope, id, { description, enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
  for (const statement of allow) key.addToResourcePolicy(statement);
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyGrantsExceptForAwsServices',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
  return key;
}

/** Every CloudWatch alarm of `stack`'s account and region, as an ARN pattern. */
export function alarmArns(stack: Stack): string {
  return stack.formatArn({
    service: 'cloudwatch',
    resource: 'alarm',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * The condition that limits the CloudWatch service to alarms of `stack`'s account and region:
 * what the rollback topic's key policy and topic policy both give it.
 */
export function alarmsOf(stack: Stack) {
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': alarmArns(stack) },
  };
}
