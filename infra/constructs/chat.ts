import { CfnOutput, Lazy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { PipelinePart } from './logical-ids.ts';

export interface ChatProps {
  /** Encrypts the topic, like the findings topic. */
  readonly messagingKey: kms.IKey;
  /**
   * The functions that post cards (`functions/shared/adapters/sns-chat-notifier.ts`): the evaluate function
   * (findings) and the health function (silence and trail findings, resolutions). Nobody else may publish.
   */
  readonly publishers: readonly LambdaFunction[];
}

/**
 * The opt-in chat topic (`chat: { enabled: true }`): Amazon Q Developer in chat applications (AWS Chatbot)
 * custom notifications, one card per page, update, escalation. Connect it to a Slack channel or Teams channel
 * in the Amazon Q Developer console (README, "Where findings go"). Under the messaging key, TLS only, and only
 * Trailwarden's functions may publish: a forged card in the team channel ("all clear", a fake runbook link) is as
 * harmful as a forged page, so every other principal is denied `sns:Publish` whatever its own policy says.
 */
export class ChatTopic extends PipelinePart {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ChatProps) {
    super(scope, id);
    const roles = props.publishers.map((fn) => {
      if (fn.role === undefined) throw new Error(`${fn.node.path} has no role`);
      return fn.role;
    });
    this.topic = new sns.Topic(this, 'ChatTopic', {
      displayName: 'Trailwarden chat',
      masterKey: props.messagingKey,
      enforceSSL: true,
    });
    for (const role of roles) this.topic.grantPublish(role);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTrailwardenPostsToChat',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => roles.map((r) => r.roleArn) }) },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    for (const fn of props.publishers) fn.addEnvironment('CHAT_TOPIC_ARN', this.topic.topicArn);
    new CfnOutput(this, 'ChatTopicArn', {
      value: this.topic.topicArn,
      description: 'Map this topic to a Slack or Teams channel in Amazon Q Developer in chat applications',
    });
  }
}
