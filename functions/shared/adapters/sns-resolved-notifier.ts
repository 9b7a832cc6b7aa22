import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Finding } from '../../../rules/core/finding.ts';
import type { ResolutionNotifier } from '../../../rules/core/ports.ts';
import { subjectFor } from './sns-notifier.ts';

const SUBJECT_LIMIT = 100;

export const resolvedSubjectFor = (f: Finding): string => {
  const raw = `[RESOLVED] ${subjectFor(f)}`;
  return raw.length < SUBJECT_LIMIT ? raw : `${raw.slice(0, SUBJECT_LIMIT - 4)}...`;
};

/**
 * Same attributes as the page (so the pager subscription that got the page gets this too, and PagerDuty can
 * resolve by `incidentId`, or `findingId`), with `kind: resolved` (and `status: resolved`, as before).
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
          severity: { DataType: 'String', StringValue: finding.severity },
          ruleId: { DataType: 'String', StringValue: finding.ruleId },
          controls: { DataType: 'String.Array', StringValue: JSON.stringify(finding.controls) },
          account: { DataType: 'String', StringValue: finding.account },
          findingId: { DataType: 'String', StringValue: finding.id },
          kind: { DataType: 'String', StringValue: 'resolved' },
          ...(finding.incidentId ? { incidentId: { DataType: 'String', StringValue: finding.incidentId } } : {}),
          status: { DataType: 'String', StringValue: 'resolved' },
          // As on the page: the pager's filter ignores drills, and the drill subscription sees them.
          ...(finding.drill ? { drill: { DataType: 'String', StringValue: 'true' } } : {}),
        },
      }),
    );
  },
});
