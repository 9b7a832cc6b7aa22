import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { bodyFor, createSnsNotifier, subjectFor } from '../../functions/shared/adapters/sns-notifier.ts';
import { createSnsResolvedNotifier } from '../../functions/shared/adapters/sns-resolved-notifier.ts';
import type { Incident } from '../../rules/core/incident.ts';
import { sampleFinding } from './support.ts';

describe('SNS notifier', () => {
  it('publishes a readable subject and body with filterable attributes', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const finding = sampleFinding();
    await createSnsNotifier(
      new SNSClient({ region: 'us-east-1' }),
      'arn:aws:sns:us-east-1:111122223333:findings',
    ).publish(finding, 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json');
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:111122223333:findings',
      Subject: '[CRITICAL] CloudTrail logging stopped or trail deleted - 111122223333',
      Message: bodyFor(finding, 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json'),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        ruleId: { DataType: 'String', StringValue: 'cloudtrail.logging-stopped' },
        controls: { DataType: 'String.Array', StringValue: '["A.8.15"]' },
        account: { DataType: 'String', StringValue: '111122223333' },
        findingId: { DataType: 'String', StringValue: '0123456789abcdef0123456789abcdef' },
        kind: { DataType: 'String', StringValue: 'page' },
      },
    });
    sns.restore();
  });

  it('says what, who, where, severity and the runbook in the body', () => {
    const body = bodyFor(sampleFinding());
    expect(body).toContain('Who:       arn:aws:iam::111122223333:user/mallory from 203.0.113.66');
    expect(body).toContain('Where:     account 111122223333, region us-east-1');
    expect(body).toContain('Severity:  critical (asset criticality high)');
    expect(body).toContain('  1. Restart logging.');
    expect(JSON.parse(body.split('--- finding JSON ---\n')[1] ?? '')).toEqual(sampleFinding());
  });

  it('keeps subjects printable ASCII and under 100 characters', () => {
    const long = subjectFor(sampleFinding({ title: `Über ${'x'.repeat(200)}` }));
    expect(long.length).toBeLessThan(100);
    expect(long).toMatch(/^[\x20-\x7e]+$/);
    expect(long.endsWith('...')).toBe(true);
  });

  it("resolves with the page's attributes (drill and replay marks too), as kind and status resolved", async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({});
    const finding = sampleFinding({ drill: true, replay: { id: 'r-2026-q3', day: '2026-11-20' }, incidentId: 'inc-1' });
    const client = new SNSClient({ region: 'us-east-1' });
    await createSnsNotifier(client, 'arn:t').publish(finding);
    await createSnsResolvedNotifier(client, 'arn:t').resolved(finding, '2026-11-02T12:00:00Z', 'events resumed');
    const [page, resolved] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.MessageAttributes);
    expect(resolved).toEqual({
      ...page,
      kind: { DataType: 'String', StringValue: 'resolved' },
      incidentId: { DataType: 'String', StringValue: 'inc-1' },
      status: { DataType: 'String', StringValue: 'resolved' },
    });
    expect(resolved?.replay).toEqual({ DataType: 'String', StringValue: 'r-2026-q3' });
    expect(resolved?.drill).toEqual({ DataType: 'String', StringValue: 'true' });
    sns.restore();
  });

  it('marks drills so a pager filter can ignore them', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({});
    await createSnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:t').publish(sampleFinding({ drill: true }));
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes?.drill).toEqual({ DataType: 'String', StringValue: 'true' });
    expect(input?.Subject?.startsWith('[DRILL] ')).toBe(true);
    sns.restore();
  });

  describe('incident notices', () => {
    const incident: Incident = {
      schema: 'trailwarden.incident/v1',
      id: 'a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4',
      actorKey: 'arn:aws:iam::111122223333:user/mallory',
      account: '111122223333',
      drill: false,
      severity: 'critical',
      pagedSeverity: 'high',
      openedAt: '2026-11-02T09:40:00.000Z',
      lastSeen: '2026-11-02T10:00:00.000Z',
      findingIds: ['f1', 'f2', '0123456789abcdef0123456789abcdef'],
      ruleIds: ['iam.access-denied-burst', 'cloudtrail.logging-stopped'],
      controls: ['A.8.2', 'A.8.15'],
      pages: [{ findingId: 'f1', kind: 'page', severity: 'high' }],
      revision: 3,
    };
    const publish = async (kind: 'page' | 'update' | 'escalation') => {
      const sns = mockClient(SNSClient);
      sns.on(PublishCommand).resolves({});
      const finding = sampleFinding({ incidentId: incident.id });
      await createSnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:t').publish(finding, 'k', {
        incident,
        kind,
      });
      const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
      sns.restore();
      return input;
    };

    it.each([
      ['page', '[CRITICAL] CloudTrail logging stopped or trail deleted - 111122223333', 'new incident, paged'],
      [
        'escalation',
        '[ESCALATED] [CRITICAL] CloudTrail logging stopped or trail deleted - 111122223333',
        'severity rose to high: escalated',
      ],
      [
        'update',
        '[UPDATE] [CRITICAL] CloudTrail logging stopped or trail deleted - 111122223333',
        'update, no new page',
      ],
    ] as const)('a %s carries kind and incidentId for filters and PagerDuty dedup_key', async (kind, subject, line) => {
      const input = await publish(kind);
      expect(input?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: kind });
      expect(input?.MessageAttributes?.incidentId).toEqual({ DataType: 'String', StringValue: incident.id });
      expect(input?.Subject).toBe(subject);
      expect(input?.Message).toContain(
        `Incident:  ${incident.id} (${line}; 3 findings since 2026-11-02T09:40:00.000Z, rules iam.access-denied-burst, cloudtrail.logging-stopped)`,
      );
    });
  });
});
