import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { bodyFor, createSnsNotifier, subjectFor } from '../../functions/shared/adapters/sns-notifier.ts';
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

  it('marks drills so a pager filter can ignore them', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({});
    await createSnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:t').publish(sampleFinding({ drill: true }));
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes?.drill).toEqual({ DataType: 'String', StringValue: 'true' });
    expect(input?.Subject?.startsWith('[DRILL] ')).toBe(true);
    sns.restore();
  });
});
