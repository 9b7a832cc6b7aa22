import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResolutionNotifier } from '../../../rules/core/ports.ts';
import { findingAttributes, subjectFor } from './sns-notifier.ts';

const SUBJECT_LIMIT = 100;

export const resolvedSubjectFor = (f: Finding): string => {
  const raw = `[RESOLVED] ${subjectFor(f)}`;
  return raw.length < SUBJECT_LIMIT ? raw : `${raw.slice(0, SUBJECT_LIMIT - 4)}...`;
};

/**
 * Same attributes as the page (`findingAttributes`: the pager subscription that got the page gets this too, and
 * PagerDuty can resolve by `incidentId`, or `findingId`), with `kind: resolved` (and `status: resolved`, as before).
 */
export const createSnsResolvedNotifier = (client: SNSClient, topicArn: string): ResolutionNotifier => ({
  resolved: async (finding, resolvedAt, reason) => {
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: resolvedSubjectFor(finding),
        Message: [
          `RESOLVED: ${finding.title}`,
          '',
          `Why:       ${reason}`,
          `Resolved:  ${resolvedAt}`,
          `Where:     account ${finding.account}, region ${finding.region}`,
          `Opened:    ${finding.firstSeen}`,
          `Finding:   ${finding.id}`,
          ...(finding.incidentId ? [`Incident:  ${finding.incidentId}`] : []),
          '',
          '--- finding JSON ---',
          JSON.stringify(finding),
        ].join('\n'),
        MessageAttributes: {
          ...findingAttributes(finding, 'resolved', finding.incidentId),
          status: { DataType: 'String', StringValue: 'resolved' },
        },
      }),
    );
  },
});
