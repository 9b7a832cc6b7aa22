import type { SNSClient } from '@aws-sdk/client-sns';
import type { Finding } from '../../../rules/core/finding.ts';

const SUBJECT_LIMIT = 100;

/** SNS subjects must be printable ASCII, one line, under 100 characters. */
export const subjectFor = (f: Finding): string => {
  const raw = `${f.drill ? '[DRILL] ' : ''}[${f.severity.toUpperCase()}] ${f.title} - ${f.account}`;
  const ascii = raw.replace(/[^\x20-\x7e]/g, '-');
  return ascii.length < SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 4)}...`;
};

/**
 * Readable for a human on email and still complete for a machine: the finding JSON closes the message. A finding
 * the readable part cannot describe still pages, with its JSON: the page matters more than its layout.
 */
export const bodyFor = (f: Finding, evidenceKey?: string): string => {
  try {
    return readableBody(f, evidenceKey);
  } catch {
    return [
      'Trailwarden finding (the readable summary could not be built)',
      '',
      '--- finding JSON ---',
      JSON.stringify(f),
    ].join('\n');
  }
};

const readableBody = (f: Finding, evidenceKey?: string): string => {
  const who = [
    f.actor.arn,
    f.actor.sourceIp && `from ${f.actor.sourceIp}`,
    f.actor.userAgent && `(${f.actor.userAgent})`,
  ]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `${f.drill ? 'DRILL - simulated events, no action needed. ' : ''}${f.title}`,
    '',
    `What:      ${f.description}`,
    `Severity:  ${f.severity} (asset criticality ${f.criticality})`,
    `Who:       ${who}`,
    `Where:     account ${f.account}, region ${f.region}`,
    `Resources: ${f.resources.length > 0 ? f.resources.join(', ') : '-'}`,
    ...(f.details ?? []).map((d, i) => `${i === 0 ? 'Details:  ' : '          '} ${d}`),
    `When:      ${f.firstSeen === f.lastSeen ? f.firstSeen : `${f.firstSeen} to ${f.lastSeen}`} (${f.count} event${f.count === 1 ? '' : 's'}${f.threshold ? `, threshold ${f.threshold.count} in ${f.threshold.windowSeconds}s` : ''})`,
    `Rule:      ${f.ruleId} - controls ${f.controls.join(', ')} - MITRE ${f.mitre.join(', ')}`,
    `Finding:   ${f.id}${evidenceKey ? ` (evidence s3 key ${evidenceKey})` : ''}`,
    ...(f.suppression?.status === 'expired'
      ? [`Note:      a suppression of this finding expired on ${f.suppression.expires} (${f.suppression.reason})`]
      : []),
    '',
    'Runbook:',
    ...f.runbook.map((step, i) => `  ${i + 1}. ${step}`),
    '',
    `CloudTrail eventIDs: ${f.eventIds.join(', ')}`,
    '',
    '--- finding JSON ---',
    JSON.stringify(f),
  ];
  return lines.join('\n');
};

export interface Notifier {
  publish(finding: Finding, evidenceKey?: string): Promise<void>;
}

/** Message attributes let subscriptions filter: the pager takes critical + high and ignores drills. */
export const createSnsNotifier = (client: SNSClient, topicArn: string): Notifier => ({
  publish: async (finding, evidenceKey) => {
    // Loaded on first use: the evaluate function's cold start does not pay for the SNS client.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subjectFor(finding),
        Message: bodyFor(finding, evidenceKey),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: finding.severity },
          ruleId: { DataType: 'String', StringValue: finding.ruleId },
          controls: { DataType: 'String.Array', StringValue: JSON.stringify(finding.controls) },
          account: { DataType: 'String', StringValue: finding.account },
          findingId: { DataType: 'String', StringValue: finding.id },
          ...(finding.drill ? { drill: { DataType: 'String', StringValue: 'true' } } : {}),
        },
      }),
    );
  },
});
