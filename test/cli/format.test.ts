import { describe, expect, it } from 'vitest';
import { createCollectingSink, sortFindings } from '../../cli/collecting-sink.ts';
import { toOcsf } from '../../cli/format/ocsf.ts';
import { countLine, renderFindingsTable, shortActor, shortTime } from '../../cli/format/table.ts';
import { renderTable, truncate } from '../../cli/format/text-table.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { Severity } from '../../rules/core/types.ts';

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  schema: 'trailwarden.finding/v1',
  id: 'f'.repeat(32),
  ruleId: 'cloudtrail.logging-stopped',
  title: 'CloudTrail logging stopped or trail deleted',
  description: 'A trail stopped logging.',
  severity: 'critical',
  criticality: 'medium',
  controls: ['A.8.15'],
  mitre: ['T1562.008'],
  account: '111122223333',
  region: 'eu-west-1',
  actor: {
    arn: 'arn:aws:iam::111122223333:user/mallory',
    type: 'IAMUser',
    userName: 'mallory',
    sourceIp: '203.0.113.66',
    userAgent: 'aws-cli/2.15.0',
  },
  resources: ['arn:aws:cloudtrail:eu-west-1:111122223333:trail/main'],
  eventIds: ['ev-1', 'ev-2'],
  eventName: 'StopLogging',
  groupKey: 'main',
  firstSeen: '2024-05-01T12:00:00.000Z',
  lastSeen: '2024-05-01T12:05:00.000Z',
  count: 2,
  threshold: null,
  runbook: ['Restart logging.'],
  drill: false,
  ...overrides,
});

describe('OCSF Detection Finding', () => {
  it('maps a finding field by field', () => {
    const ocsf = toOcsf(finding(), '0.1.0');
    expect(ocsf).toMatchObject({
      class_uid: 2004,
      class_name: 'Detection Finding',
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: 5,
      severity: 'Critical',
      status_id: 1,
      time: Date.parse('2024-05-01T12:05:00Z'),
      count: 2,
      confidence_id: 3,
      is_alert: true,
      metadata: {
        version: '1.8.0',
        uid: 'f'.repeat(32),
        log_name: 'findings',
        profiles: ['cloud'],
        product: { uid: 'trailwarden', name: 'Trailwarden', vendor_name: 'Trailwarden', version: '0.1.0' },
      },
      finding_info: {
        uid: 'f'.repeat(32),
        title: 'CloudTrail logging stopped or trail deleted',
        desc: 'A trail stopped logging.',
        types: ['ISO/IEC 27001:2022 A.8.15 Logging'],
        first_seen_time: Date.parse('2024-05-01T12:00:00Z'),
        last_seen_time: Date.parse('2024-05-01T12:05:00Z'),
        analytic: {
          uid: 'cloudtrail.logging-stopped',
          name: 'CloudTrail logging stopped or trail deleted',
          type_id: 1,
          type: 'Rule',
        },
        attacks: [
          {
            tactic: { uid: 'TA0005', name: 'Defense Evasion' },
            technique: { uid: 'T1562', name: 'Impair Defenses' },
            sub_technique: { uid: 'T1562.008', name: 'Disable or Modify Cloud Logs' },
          },
        ],
        related_events: [{ uid: 'ev-1' }, { uid: 'ev-2' }],
        related_events_count: 2,
      },
      cloud: { provider: 'AWS', account: { uid: '111122223333' }, region: 'eu-west-1', cloud_partition: 'aws' },
      resources: [
        {
          uid: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main',
          type: 'cloudtrail:trail',
          region: 'eu-west-1',
          cloud_partition: 'aws',
          owner: { account: { uid: '111122223333', type_id: 10 } },
        },
      ],
      remediation: { desc: '1. Restart logging.', kb_article_list: [{ uid: 'cloudtrail.logging-stopped' }] },
      evidences: [
        {
          actor: {
            user: { uid: 'arn:aws:iam::111122223333:user/mallory', name: 'mallory', type_id: 99, type: 'IAMUser' },
          },
          api: { operation: 'StopLogging' },
          src_endpoint: { ip: '203.0.113.66' },
          http_request: { user_agent: 'aws-cli/2.15.0' },
        },
      ],
      unmapped: { controls: ['A.8.15'], criticality: 'medium' },
    });
  });

  it.each([
    ['info', 1],
    ['low', 2],
    ['medium', 3],
    ['high', 4],
    ['critical', 5],
  ] as const)('severity %s is severity_id %i', (severity: Severity, id) => {
    expect(toOcsf(finding({ severity })).severity_id).toBe(id);
  });

  it('leaves out what the finding does not know', () => {
    const ocsf = toOcsf(finding({ actor: { arn: 'arn:aws:iam::111122223333:root', type: 'Root' } }));
    expect(ocsf.evidences[0]).not.toHaveProperty('src_endpoint');
    expect(ocsf.evidences[0]).not.toHaveProperty('http_request');
    expect(ocsf.evidences[0]?.actor.user).toMatchObject({ name: 'arn:aws:iam::111122223333:root', type_id: 2 });
    expect(ocsf.metadata.product).not.toHaveProperty('version');
    expect(ocsf.metadata).not.toHaveProperty('correlation_uid');
    expect(ocsf).not.toHaveProperty('actor');
  });

  it.each([
    ['cloudformation.amazonaws.com', { svc_name: 'cloudformation.amazonaws.com' }],
    ['AWS Internal', { svc_name: 'AWS Internal' }],
    ['203.0.113.66', { ip: '203.0.113.66' }],
    ['2001:db8::5', { ip: '2001:db8::5' }],
    ['999.1.1.1', { svc_name: '999.1.1.1' }],
  ])('puts source %s where an IP-typed field will not choke on it', (sourceIp, endpoint) => {
    const ocsf = toOcsf(finding({ actor: { ...finding().actor, sourceIp } }));
    expect(ocsf.evidences[0]?.src_endpoint).toEqual(endpoint);
  });

  it('marks an actively suppressed finding Suppressed and not an alert, and a counted one Medium confidence', () => {
    const ocsf = toOcsf(
      finding({
        suppression: { status: 'active', reason: 'change CHG-1', expires: '2024-06-01T00:00:00Z' },
        threshold: { count: 5, windowSeconds: 300 },
      }),
    );
    expect(ocsf).toMatchObject({ status_id: 3, status: 'Suppressed', is_alert: false, confidence_id: 2 });
  });

  it('carries an incident id as metadata.correlation_uid when the finding has one', () => {
    const withIncident = { ...finding(), incidentId: 'inc-42' };
    expect(toOcsf(withIncident).metadata.correlation_uid).toBe('inc-42');
  });
});

describe('table', () => {
  it('shortens the actor and the time', () => {
    expect(shortActor(finding())).toBe('user/mallory');
    expect(shortActor(finding({ actor: { arn: 'unknown', type: 'Unknown' } }))).toBe('unknown');
    expect(shortTime('2024-05-01T12:00:00.000Z')).toBe('2024-05-01 12:00:00Z');
  });

  it('counts findings by severity', () => {
    expect(countLine([])).toBe('No findings.');
    expect(countLine([finding(), finding({ severity: 'high' }), finding({ severity: 'high' })])).toBe(
      '3 findings (1 critical, 2 high)',
    );
  });

  it('aligns columns, cuts long cells but never the last column, and right-aligns numbers', () => {
    const rows = [
      { name: 'a', n: 5, note: 'short' },
      { name: 'a-very-long-name-indeed', n: 12345, note: 'the last column is never cut, however long it is' },
    ];
    const lines = renderTable(
      [
        { header: 'NAME', cell: (r: (typeof rows)[number]) => r.name, max: 10 },
        { header: 'N', cell: (r: (typeof rows)[number]) => String(r.n), align: 'right' },
        { header: 'NOTE', cell: (r: (typeof rows)[number]) => r.note },
      ],
      rows,
      false,
    );
    expect(lines).toEqual([
      'NAME            N  NOTE',
      'a               5  short',
      'a-very-lo…  12345  the last column is never cut, however long it is',
    ]);
    expect(truncate('abc', 3)).toBe('abc');
  });

  it('marks drill findings', () => {
    const [, row] = renderFindingsTable([finding({ drill: true })], false);
    expect(row).toContain('[drill] CloudTrail logging stopped');
  });
});

describe('collecting sink', () => {
  it('keeps the latest version of each finding: a fold replaces the delivered finding', async () => {
    const sink = createCollectingSink();
    await sink.deliver(finding({ count: 1 }));
    await sink.fold(finding({ count: 3 }));
    await sink.deliver(finding({ id: 'other', severity: 'low' }));
    expect(sink.findings().map((f) => [f.id, f.count])).toEqual([
      ['f'.repeat(32), 3],
      ['other', 2],
    ]);
  });

  it('sorts by severity, then first seen, then rule and id', () => {
    const sorted = sortFindings([
      finding({ id: 'c', severity: 'low', firstSeen: '2024-01-01T00:00:00.000Z' }),
      finding({ id: 'b', severity: 'critical', firstSeen: '2024-03-01T00:00:00.000Z' }),
      finding({ id: 'a', severity: 'critical', firstSeen: '2024-02-01T00:00:00.000Z' }),
      finding({ id: 'd', severity: 'critical', firstSeen: '2024-02-01T00:00:00.000Z' }),
    ]);
    expect(sorted.map((f) => f.id)).toEqual(['a', 'd', 'b', 'c']);
  });
});
