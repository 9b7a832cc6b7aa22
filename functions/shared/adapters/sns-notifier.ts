import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { Finding } from '../../../rules/core/finding.ts';
import type { IncidentNotice } from '../../../rules/core/ports.ts';

const SUBJECT_LIMIT = 100;

const KIND_TAG = { page: '', escalation: '[ESCALATED] ', update: '[UPDATE] ' } as const;

/** SNS subjects must be printable ASCII, one line, under 100 characters. */
export const subjectFor = (f: Finding, notice?: IncidentNotice): string => {
  const kind = notice ? KIND_TAG[notice.kind] : '';
  const raw = `${f.replay ? '[REPLAY] ' : ''}${f.drill ? '[DRILL] ' : ''}${kind}[${f.severity.toUpperCase()}] ${f.title} - ${f.account}`;
  const ascii = raw.replace(/[^\x20-\x7e]/g, '-');
  return ascii.length < SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 4)}...`;
};

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * What subscriptions filter on, the same on every message about a finding (its page, update, escalation and its
 * resolution), so a subscription that got the page gets the rest and one that drops drills or replays drops all.
 */
export const findingAttributes = (
  finding: Finding,
  kind: string,
  incidentId: string | undefined,
): Record<string, MessageAttributeValue> => ({
  severity: text(finding.severity),
  ruleId: text(finding.ruleId),
  controls: { DataType: 'String.Array', StringValue: JSON.stringify(finding.controls) },
  account: text(finding.account),
  findingId: text(finding.id),
  kind: text(kind),
  ...(incidentId ? { incidentId: text(incidentId) } : {}),
  // The pager's filter ignores drills, and the drill subscription sees them.
  ...(finding.drill ? { drill: text('true') } : {}),
  // A replay pages only with `--page`; the id lets a subscription route (or drop) replays of old logs.
  ...(finding.replay ? { replay: text(finding.replay.id) } : {}),
});

/** One line on the incident: what this message is to it, and what it holds so far. */
const incidentLine = ({ incident: i, kind }: IncidentNotice): string => {
  const what =
    kind === 'page'
      ? 'new incident, paged'
      : kind === 'escalation'
        ? `severity rose to ${i.pagedSeverity ?? i.severity}: escalated`
        : 'update, no new page';
  return `Incident:  ${i.id} (${what}; ${i.findingIds.length} finding${i.findingIds.length === 1 ? '' : 's'} since ${i.openedAt}, rules ${i.ruleIds.join(', ')})`;
};

/**
 * Readable for a human on email and still complete for a machine: the finding JSON closes the message. A finding
 * the readable part cannot describe still pages, with its JSON: the page matters more than its layout.
 */
export const bodyFor = (f: Finding, evidenceKey?: string, notice?: IncidentNotice): string => {
  try {
    return readableBody(f, evidenceKey, notice);
  } catch {
    return [
      'Trailwarden finding (the readable summary could not be built)',
      '',
      '--- finding JSON ---',
      JSON.stringify(f),
    ].join('\n');
  }
};

const readableBody = (f: Finding, evidenceKey?: string, notice?: IncidentNotice): string => {
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
    ...(notice ? [incidentLine(notice)] : []),
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
  publish(finding: Finding, evidenceKey?: string, notice?: IncidentNotice): Promise<void>;
}

/**
 * Message attributes let subscriptions filter: the pager takes `kind` page, escalation and resolved (updates of an
 * incident already paged land only on unfiltered subscribers) and ignores drills. `incidentId` is the PagerDuty
 * `dedup_key`. A finding published without an incident pages by itself (`kind` page).
 */
export const createSnsNotifier = (client: SNSClient, topicArn: string): Notifier => ({
  publish: async (finding, evidenceKey, notice) => {
    // Loaded on first use: the evaluate function's cold start does not pay for the SNS client.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subjectFor(finding, notice),
        Message: bodyFor(finding, evidenceKey, notice),
        MessageAttributes: findingAttributes(finding, notice?.kind ?? 'page', notice?.incident.id),
      }),
    );
  },
});
