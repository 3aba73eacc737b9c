import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../infra/app.js';
import { REPO_ROOT } from '../../infra/bundling.js';

/**
 * The `chat` setting, checked offline: the app as `cdk synth` builds it (cdk.json's context),
 * three times: without `chat`, with `{}`, and with a Slack and a Teams channel. The functions
 * are not bundled (their code is no property these tests read), which keeps each synth short;
 * cdk-nag and cfn-guard run on every one of them, and fail it on any unacknowledged finding.
 */

// biome-ignore lint/suspicious/noExplicitAny: a synthesized template is untyped JSON; each assertion checks the values it reads.
type Json = Record<string, any>;

const cdkContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Json;
const SLACK = { workspaceId: 'T0123ABCDEF', channelId: 'C0123ABCDEF' };
const TEAMS = {
  teamId: '5d8a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  tenantId: '0f1e2d3c-4b5a-4968-8776-655443322110',
  channelId: '19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2',
};

interface Synthesized {
  service: Service;
  data: Template;
  api: Template;
  outdir: string;
}
const synthesized: Synthesized[] = [];

function synth(chat: unknown): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-chat-test-'));
  const context: Json = { ...cdkContext, 'aws:cdk:bundling-stacks': [] };
  if (chat !== undefined) context.chat = JSON.stringify(chat);
  const service = createService({ context, outdir });
  const assembly = service.app.synth();
  const result = {
    service,
    outdir,
    data: Template.fromJSON(assembly.getStackArtifact(service.stateful.artifactId).template),
    api: Template.fromJSON(assembly.getStackArtifact(service.stateless.artifactId).template),
  };
  synthesized.push(result);
  return result;
}

const resourcesOf = (template: Template, type: string): [string, Json][] =>
  Object.entries(template.findResources(type));
const logicalId = (construct: IConstruct | undefined) => {
  if (!construct) throw new Error('no such construct');
  const element = (construct.node.defaultChild ?? construct) as never;
  return Stack.of(construct).getLogicalId(element);
};
/** Every identity-policy statement of the role with this logical id. */
const statementsOf = (api: Template, roleId: string): Json[] =>
  resourcesOf(api, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
const actions = (s: Json): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Whether a statement allows `action` on a resource matching `resource` (statements are merged by minimizePolicies). */
const grants = (statements: Json[], action: string, resource: RegExp) =>
  statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      actions(s).includes(action) &&
      [s.Resource].flat().some((r: unknown) => resource.test(JSON.stringify(r))),
  );

let none: Synthesized;
let topicOnly: Synthesized;
let channels: Synthesized;

beforeAll(() => {
  none = synth(undefined);
  topicOnly = synth({});
  channels = synth({ slack: SLACK, teams: TEAMS });
});

afterAll(() => {
  for (const { outdir } of synthesized) rmSync(outdir, { recursive: true, force: true });
});

describe('without the chat setting', () => {
  it('has no chat topic, no channel and no chat topic policy; the notifier publishes to the rollback topic alone', () => {
    none.data.resourceCountIs('AWS::SNS::Topic', 1);
    none.data.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    none.data.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
    none.api.resourceCountIs('AWS::SNS::TopicPolicy', 1);
    expect(none.service.stateful.chat).toBeUndefined();
    const notifier = none.api.toJSON().Resources[logicalId(none.service.stateless.notifier.function.fn)];
    expect(notifier.Properties.Environment.Variables.CHAT_TOPIC_ARN).toBeUndefined();
  });
});

describe('chat: {} (the chat topic alone)', () => {
  it('is a topic of its own in the stateful stack, encrypted with a rotating key of its own, and output', () => {
    const { data, service } = topicOnly;
    const chat = service.stateful.chat;
    expect(chat).toBeDefined();
    data.resourceCountIs('AWS::SNS::Topic', 2);
    data.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    data.resourceCountIs('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', 0);
    const keyId = logicalId(chat?.key);
    expect(keyId).not.toBe(logicalId(service.stateful.topicKey));
    data.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      TopicName: Match.absent(),
    });
    const key = data.toJSON().Resources[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    data.hasOutput('ChatTopicArn', { Value: { Ref: logicalId(chat?.topic) } });
  });

  it("its key: the account's IAM decides (the publishers' grants); no AWS service may use it, no grant is made by hand", () => {
    const key = topicOnly.data.toJSON().Resources[logicalId(topicOnly.service.stateful.chat?.key)];
    const statements = key.Properties.KeyPolicy.Statement as Json[];
    expect(statements.filter((s) => s.Principal?.Service)).toEqual([]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyGrantsExceptForAwsServices',
        Effect: 'Deny',
        Action: 'kms:CreateGrant',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
  });

  it('has a topic policy in the API stack: TLS only, no publisher but the notifier and the sweeper, Amazon Q may subscribe for this account', () => {
    const { api, service } = topicOnly;
    api.resourceCountIs('AWS::SNS::TopicPolicy', 2);
    const [[, policy] = []] = resourcesOf(api, 'AWS::SNS::TopicPolicy').filter(([id]) =>
      id.startsWith('ChatTopicPolicy'),
    );
    expect(policy?.Properties.Topics).toEqual([
      expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/ChatTopic/) }),
    ]);
    const statements = policy?.Properties.PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Principal: { AWS: '*' },
        Condition: {
          ArnNotEquals: {
            'aws:PrincipalArn': [
              { 'Fn::GetAtt': [logicalId(service.stateless.notifier.function.role), 'Arn'] },
              { 'Fn::GetAtt': [logicalId(service.stateless.sweeper.function.role), 'Arn'] },
            ],
          },
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    // The one Allow: Amazon Q subscribing channels of this account. CloudWatch may not publish here.
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'chatbot.amazonaws.com' },
        Action: ['sns:GetTopicAttributes', 'sns:Subscribe'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  it('only the notifier and the sweeper may publish to it (and use its key); they learn its ARN and the redeploy targets', () => {
    const { api, service } = topicOnly;
    const publishers = [service.stateless.notifier.function, service.stateless.sweeper.function];
    for (const fn of publishers) {
      const statements = statementsOf(api, logicalId(fn.role));
      expect(grants(statements, 'sns:Publish', /ExportsOutputRefChatTopic/)).toBe(true);
      expect(grants(statements, 'kms:GenerateDataKey', /ChatKey/)).toBe(true);
      expect(grants(statements, 'kms:Decrypt', /ChatKey/)).toBe(true);
      const variables = api.toJSON().Resources[logicalId(fn.fn)].Properties.Environment.Variables;
      expect(variables.CHAT_TOPIC_ARN).toEqual(
        expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/ChatTopic/) }),
      );
      expect(JSON.parse(variables.REDEPLOY_TARGETS)).toEqual({});
    }
    const publisherRoles = new Set(publishers.map((fn) => logicalId(fn.role)));
    for (const [, policy] of resourcesOf(api, 'AWS::IAM::Policy')) {
      const mentionsChat = JSON.stringify(policy.Properties.PolicyDocument).includes('ChatTopic');
      const roles = policy.Properties.Roles.map((r: Json) => r.Ref);
      if (mentionsChat) expect(roles.every((r: string) => publisherRoles.has(r))).toBe(true);
    }
  });
});

describe('chat with a Slack and a Teams channel', () => {
  it('subscribes each channel to the chat topic (not the rollback topic), through Amazon Q, named by the stage', () => {
    const { data, service } = channels;
    const topic = { Ref: logicalId(service.stateful.chat?.topic) };
    data.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'platform-rollback-dev-slack',
      SlackWorkspaceId: SLACK.workspaceId,
      SlackChannelId: SLACK.channelId,
      SnsTopicArns: [topic],
      UserRoleRequired: false,
      LoggingLevel: 'ERROR',
    });
    // The Teams channel ID in the form Amazon Q takes, though the setting gave it decoded.
    data.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: 'platform-rollback-dev-teams',
      TeamId: TEAMS.teamId,
      TeamsTenantId: TEAMS.tenantId,
      TeamsChannelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
      SnsTopicArns: [topic],
      UserRoleRequired: false,
    });
  });

  it('gives the channels a role that can act on nothing, and a read-only guardrail (never the AdministratorAccess default)', () => {
    const { data } = channels;
    const configs = [
      ...resourcesOf(data, 'AWS::Chatbot::SlackChannelConfiguration'),
      ...resourcesOf(data, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration'),
    ];
    expect(configs).toHaveLength(2);
    for (const [, config] of configs) {
      const roleId = config.Properties.IamRoleArn['Fn::GetAtt'][0];
      const role = data.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'chatbot.amazonaws.com' },
        }),
      ]);
      expect(role.Properties.Policies).toBeUndefined();
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      // No policy of any kind is attached to it.
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
        for (const [, policy] of resourcesOf(data, type)) {
          expect((policy.Properties.Roles ?? []).map((r: Json) => r.Ref)).not.toContain(roleId);
        }
      }
      const [guardrailRef, ...others] = config.Properties.GuardrailPolicies;
      expect(others).toEqual([]);
      const guardrail = data.toJSON().Resources[guardrailRef.Ref];
      expect(guardrail.Type).toBe('AWS::IAM::ManagedPolicy');
      const statements = guardrail.Properties.PolicyDocument.Statement as Json[];
      expect(statements.map((s) => [s.Effect, actions(s)])).toEqual([
        ['Allow', ['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms']],
      ]);
      expect(JSON.stringify(statements[0]?.Resource)).toMatch(/:cloudwatch:.*:alarm:\*/);
    }
  });

  it('passes cdk-nag with no unacknowledged finding, and cfn-guard (its report of this synth)', () => {
    for (const { service, outdir } of [topicOnly, channels]) {
      const report = new AwsSolutionsChecks().validateScope(service.app);
      expect(
        report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`),
      ).toEqual([]);
      const reports = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'))
        .pluginReports as Json[];
      const guard = reports.find((r) => r.pluginName === 'cdk-validator-cfnguard');
      expect(guard?.conclusion).toBe('success');
      expect(guard?.violations ?? []).toEqual([]);
    }
  });
});
