import type { SNSClient } from '@aws-sdk/client-sns';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResolutionNotifier } from '../../../rules/core/ports.ts';
import type { ChatContext } from '../chat-notification.ts';
import { chatMessage } from '../chat-notification.ts';

/** Publishes chat cards (Amazon Q Developer custom notifications) to the chat topic. */
export interface ChatNotifier {
  publish(finding: Finding, context: ChatContext): Promise<void>;
}

/**
 * The chat topic's publisher. A few attributes ride along so a second subscriber (or a channel that wants only
 * pages) can filter as the pager does; Amazon Q Developer itself reads only the JSON body.
 */
export const createSnsChatNotifier = (client: SNSClient, topicArn: string): ChatNotifier => ({
  publish: async (finding, context) => {
    // Loaded on first use: the evaluate function's cold start does not pay for the SNS client.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: chatMessage(finding, context),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: finding.severity },
          kind: { DataType: 'String', StringValue: context.kind },
          ...(finding.drill ? { drill: { DataType: 'String', StringValue: 'true' } } : {}),
        },
      }),
    );
  },
});

/**
 * A resolution told to chat too, in the incident's thread, before the SNS notice: a failed post fails the run
 * before the pager hears of it, so the retry tells the pager once.
 */
export const withChatResolutions = (resolutions: ResolutionNotifier, chat: ChatNotifier): ResolutionNotifier => ({
  resolved: async (finding, resolvedAt, reason) => {
    await chat.publish(finding, { kind: 'resolved', resolution: { at: resolvedAt, reason } });
    await resolutions.resolved(finding, resolvedAt, reason);
  },
});
