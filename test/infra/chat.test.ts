import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildTrailwarden } from '../../infra/build-app.ts';
import type { TrailwardenConfig } from '../../infra/config.ts';
import { loadConfig } from '../../infra/config.ts';
import { RULES } from '../../rules/index.ts';
import { fastApp } from '../support/cdk-app.ts';

const selectors = RULES.map((r) => r.on);
const base = { homeRegion: 'eu-west-1', account: '111122223333' };
const synth = (config: TrailwardenConfig) =>
  Template.fromStack(buildTrailwarden(fastApp(), config, selectors, { nag: false }).main);
const enabled = synth(loadConfig({ ...base, chat: { enabled: true } }));
const disabled = synth(loadConfig(base));

const logicalId = (t: Template, type: string, match: (id: string) => boolean): string => {
  const ids = Object.keys(t.findResources(type)).filter(match);
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
};
const chatTopicId = logicalId(enabled, 'AWS::SNS::Topic', (id) => id.startsWith('PipelineChatTopic'));
const functionWith = (t: Template, variable: string) => {
  const [fn] = Object.entries(t.findResources('AWS::Lambda::Function')).filter(([, f]) =>
    JSON.stringify(f.Properties.Environment ?? {}).includes(variable),
  );
  if (fn === undefined) throw new Error(`no function with ${variable}`);
  return fn;
};
const evaluate = (t: Template) => functionWith(t, 'DETECTION_CONFIG');
const health = (t: Template) => functionWith(t, 'SILENCE_MINUTES');
const roleOf = (fn: Record<string, { Role?: unknown }>): string => {
  const role = fn.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  if (role === undefined) throw new Error('function without a role');
  return role['Fn::GetAtt'][0];
};

describe('chat topic (chat: { enabled: true })', () => {
  it('is encrypted with the messaging key', () => {
    const messagingKey = logicalId(enabled, 'AWS::KMS::Key', (id) => id.startsWith('PipelineMessagingKey'));
    enabled.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Trailwarden chat',
      KmsMasterKeyId: { 'Fn::GetAtt': [messagingKey, 'Arn'] },
    });
  });

  it('refuses non-TLS use and any publisher but the evaluate and health roles', () => {
    const role = roleOf(evaluate(enabled)[1]);
    const healthRole = roleOf(health(enabled)[1]);
    enabled.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: chatTopicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'OnlyTrailwardenPostsToChat',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sns:Publish',
            Resource: { Ref: chatTopicId },
            Condition: {
              ArnNotEquals: {
                'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }, { 'Fn::GetAtt': [healthRole, 'Arn'] }],
              },
              BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]),
      },
    });
  });

  it.each([
    ['evaluate', evaluate],
    ['health', health],
  ])('lets the %s function publish to it and tells the function where it is', (_name, pick) => {
    const [, fn] = pick(enabled);
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.CHAT_TOPIC_ARN).toEqual({
      Ref: chatTopicId,
    });
    const role = roleOf(fn);
    const publishes = Object.values(enabled.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
      )
      .filter((s) => s.Action === 'sns:Publish')
      // Policies are minimized (cdk.json): one statement may name both topics.
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    expect(publishes).toContainEqual({ Ref: chatTopicId });
    enabled.hasOutput('*', { Value: { Ref: chatTopicId } });
  });

  it('is absent by default: no topic, no variable', () => {
    expect(
      Object.keys(disabled.findResources('AWS::SNS::Topic')).filter((id) => id.startsWith('PipelineChatTopic')),
    ).toEqual([]);
    const [, fn] = evaluate(disabled);
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty(
      'CHAT_TOPIC_ARN',
    );
  });
});
