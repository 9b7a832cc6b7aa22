import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsFindingSink } from '../../functions/shared/adapters/aws-finding-sink.ts';
import { createSnsChatNotifier, withChatResolutions } from '../../functions/shared/adapters/sns-chat-notifier.ts';
import { CHAT_LIMITS, chatMessage, renderChatNotification } from '../../functions/shared/chat-notification.ts';
import { parseEvaluateEnv, parseHealthEnv } from '../../functions/shared/env.ts';
import type { Incident } from '../../rules/core/incident.ts';
import type { IncidentNotice } from '../../rules/core/ports.ts';
import { sampleFinding } from './support.ts';

const KEY = 'findings/dt=2026-11-02/critical/0123456789abcdef0123456789abcdef.json';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwarden-chat';

const incident = (overrides: Partial<Incident> = {}): Incident => ({
  schema: 'trailwarden.incident/v1',
  id: 'inc-42',
  actorKey: 'arn:aws:iam::111122223333:user/mallory',
  account: '111122223333',
  drill: false,
  severity: 'critical',
  pagedSeverity: 'critical',
  openedAt: '2026-11-02T10:00:00.000Z',
  lastSeen: '2026-11-02T10:00:00.000Z',
  findingIds: ['0123456789abcdef0123456789abcdef'],
  ruleIds: ['cloudtrail.logging-stopped'],
  controls: ['A.8.15'],
  pages: [],
  revision: 1,
  ...overrides,
});
const notice = (kind: IncidentNotice['kind'], overrides: Partial<Incident> = {}): IncidentNotice => ({
  incident: incident(overrides),
  kind,
});

describe('chat card (Amazon Q Developer custom notification)', () => {
  it('renders a page: who, what, where, severity, runbook as next steps, the evidence key, threaded by incident', () => {
    expect(
      renderChatNotification(sampleFinding({ incidentId: 'inc-42' }), {
        kind: 'page',
        evidenceKey: KEY,
        notice: notice('page'),
      }),
    ).toEqual({
      version: '1.0',
      source: 'custom',
      id: '0123456789abcdef0123456789abcdef-page',
      content: {
        textType: 'client-markdown',
        title: '[PAGE] :rotating_light: CRITICAL: CloudTrail logging stopped or trail deleted',
        description: [
          '*What:* A trail stopped logging or was deleted.',
          '*Severity:* critical (asset criticality high)',
          '*Who:* `arn:aws:iam::111122223333:user/mallory` from `203.0.113.66`',
          '*Where:* account `111122223333`, region `us-east-1`',
          '*Resources:* `arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail`',
          '*When:* `2026-11-02T10:00:00.000Z` (1 event)',
          '*Rule:* `cloudtrail.logging-stopped`, controls A.8.15, MITRE T1562.008',
          '*Incident:* `inc-42` (new incident, paged; 1 finding since 2026-11-02T10:00:00.000Z)',
          `*Evidence:* \`${KEY}\``,
        ].join('\n'),
        nextSteps: ['Restart logging.', 'Review the actor.'],
        keywords: ['critical', 'page', 'A.8.15', 'cloudtrail.logging-stopped'],
      },
      metadata: {
        threadId: 'inc-42',
        summary: '[PAGE] CRITICAL CloudTrail logging stopped or trail deleted',
        eventType: 'trailwarden.page',
        relatedResources: ['arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail'],
        additionalContext: {
          findingId: '0123456789abcdef0123456789abcdef',
          ruleId: 'cloudtrail.logging-stopped',
          severity: 'critical',
          kind: 'page',
          account: '111122223333',
          region: 'us-east-1',
          incidentId: 'inc-42',
          evidenceKey: KEY,
        },
      },
    });
  });

  it.each([
    ['update', '[UPDATE] ', 'update, no new page'],
    ['escalation', '[ESCALATION] ', 'severity rose to critical, escalated'],
  ] as const)('tells a %s apart in title, event type and incident line, in the incident thread', (kind, tag, line) => {
    const card = renderChatNotification(sampleFinding({ incidentId: 'inc-42' }), {
      kind,
      evidenceKey: KEY,
      notice: notice(kind, { findingIds: ['a', 'b'] }),
    });
    expect(card.content.title.startsWith(tag)).toBe(true);
    expect(card.metadata.eventType).toBe(`trailwarden.${kind}`);
    expect(card.metadata.threadId).toBe('inc-42');
    expect(card.content.description).toContain(`(${line}; 2 findings since`);
  });

  it('renders a resolution in the same thread, with when and why', () => {
    const card = renderChatNotification(sampleFinding({ incidentId: 'inc-42' }), {
      kind: 'resolved',
      resolution: { at: '2026-11-02T11:00:00.000Z', reason: 'logging restarted' },
    });
    expect(card.content.title).toBe(
      '[RESOLVED] :rotating_light: CRITICAL: CloudTrail logging stopped or trail deleted',
    );
    expect(card.metadata.threadId).toBe('inc-42');
    expect(card.content.description.split('\n')[0]).toBe('*Resolved:* `2026-11-02T11:00:00.000Z`: `logging restarted`');
    expect(card.content.nextSteps[0]).toMatch(/^Confirm the cause is gone/);
  });

  it('marks a drill and a replay first, so nobody acts on them as on a live page', () => {
    const drill = renderChatNotification(sampleFinding({ drill: true }), { kind: 'page' });
    expect(drill.content.title).toMatch(/^\[DRILL\] \[PAGE\] /);
    expect(drill.content.description.split('\n')[0]).toBe('*DRILL: simulated events, no action needed.*');
    expect(drill.content.keywords).toContain('drill');
    expect(drill.metadata.additionalContext.drill).toBe('true');
    const replay = renderChatNotification(
      { ...sampleFinding(), replay: { id: 'replay-2026-11', day: '2026-12-07' } },
      {
        kind: 'page',
      },
    );
    expect(replay.content.title).toMatch(/^\[REPLAY\] \[PAGE\] /);
    expect(replay.metadata.additionalContext.replay).toBe('replay-2026-11');
  });

  it('threads a finding without an incident by its own id', () => {
    expect(renderChatNotification(sampleFinding(), { kind: 'page' }).metadata.threadId).toBe(
      '0123456789abcdef0123456789abcdef',
    );
  });

  it('shows what an event author wrote as inert code: no mention, link, or broken-out markdown', () => {
    const card = renderChatNotification(
      sampleFinding({
        actor: {
          arn: 'arn:aws:iam::111122223333:user/mallory',
          type: 'IAMUser',
          userAgent: 'x` <!channel> <https://evil.example|open the runbook>\n*Severity:* low',
        },
      }),
      { kind: 'page' },
    );
    const who = card.content.description.split('\n').find((l) => l.startsWith('*Who:*'));
    expect(who).toBe(
      "*Who:* `arn:aws:iam::111122223333:user/mallory` (`x' ‹!channel› ‹https://evil.example|open the runbook› *Severity:* low`)",
    );
    expect(card.content.description).not.toMatch(/<|\n\*Severity:\* low/);
  });

  it('keeps a pathological finding within every limit', () => {
    const long = 'x'.repeat(5000);
    const f = sampleFinding({
      title: long,
      description: long,
      runbook: Array.from({ length: 20 }, () => long),
      resources: Array.from({ length: 100 }, (_, i) => `arn:aws:s3:::${i}${long}`),
      details: Array.from({ length: 20 }, () => long),
      controls: [
        'A.8.15',
        'A.8.16',
        'A.8.2',
        'A.8.5',
        'A.8.9',
        'A.5.23',
        'A.8.15',
        'A.8.16',
        'A.8.2',
        'A.8.5',
        'A.8.9',
      ],
    });
    const card = renderChatNotification(f, { kind: 'page', evidenceKey: KEY, notice: notice('page') });
    expect(card.content.title.length).toBeLessThanOrEqual(CHAT_LIMITS.title);
    expect(card.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
    expect(card.content.description.endsWith('…')).toBe(true);
    expect(card.content.nextSteps).toHaveLength(CHAT_LIMITS.nextSteps);
    expect(card.content.keywords.length).toBeLessThanOrEqual(CHAT_LIMITS.keywords);
    expect(card.metadata.relatedResources).toHaveLength(CHAT_LIMITS.relatedResources);
    expect(chatMessage(f, { kind: 'page', evidenceKey: KEY }).length).toBeLessThanOrEqual(CHAT_LIMITS.message);
  });
});

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

describe('SNS chat notifier', () => {
  it('publishes the card as the message body, with severity, kind and drill attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const f = sampleFinding({ drill: true, incidentId: 'inc-42' });
    const ctx = { kind: 'update' as const, evidenceKey: KEY, notice: notice('update') };
    await createSnsChatNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC).publish(f, ctx);
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        TopicArn: TOPIC,
        Message: JSON.stringify(renderChatNotification(f, ctx)),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'critical' },
          kind: { DataType: 'String', StringValue: 'update' },
          drill: { DataType: 'String', StringValue: 'true' },
        },
      },
    ]);
  });
});

describe('resolutions in chat', () => {
  it('posts the resolution card before the SNS notice, and nothing to SNS when the post fails', async () => {
    const order: string[] = [];
    const notifier = withChatResolutions(
      { resolved: async (f, at, why) => void order.push(`sns ${f.id} ${at} ${why}`) },
      {
        publish: async (_f, ctx) => void order.push(`chat ${ctx.kind} ${ctx.resolution?.at} ${ctx.resolution?.reason}`),
      },
    );
    await notifier.resolved(sampleFinding(), '2026-11-02T11:00:00.000Z', 'events resumed');
    expect(order).toEqual([
      'chat resolved 2026-11-02T11:00:00.000Z events resumed',
      'sns 0123456789abcdef0123456789abcdef 2026-11-02T11:00:00.000Z events resumed',
    ]);
    const failing = withChatResolutions(
      { resolved: async () => void order.push('sns again') },
      {
        publish: async () => {
          throw new Error('chat down');
        },
      },
    );
    await expect(failing.resolved(sampleFinding(), 'x', 'y')).rejects.toThrow('chat down');
    expect(order).not.toContain('sns again');
  });
});

const archive = (order: string[]) => ({
  put: async () => {
    order.push('archive');
    return { key: KEY, sha256: 'x' };
  },
  putIncident: async () => ({ key: 'incidents/x.json', sha256: 'y' }),
});

describe('AWS finding sink with chat', () => {
  it('posts the card before the page, with the notice kind and evidence key', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(archive(order), { publish: async () => void order.push('page') }, undefined, {
      chat: { publish: async (_f, ctx) => void order.push(`chat ${ctx.kind} ${ctx.evidenceKey}`) },
    });
    await sink.deliver(sampleFinding(), notice('escalation'));
    expect(order).toEqual(['archive', `chat escalation ${KEY}`, 'page']);
  });

  it('does not page when the chat post fails, so the retry pages once', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(archive(order), { publish: async () => void order.push('page') }, undefined, {
      chat: {
        publish: async () => {
          throw new Error('chat topic unreachable');
        },
      },
    });
    await expect(sink.deliver(sampleFinding())).rejects.toThrow('chat topic unreachable');
    expect(order).toEqual(['archive']);
  });

  it('posts nothing for an actively suppressed finding or a fold', async () => {
    const order: string[] = [];
    const sink = createAwsFindingSink(archive(order), { publish: async () => void order.push('page') }, undefined, {
      chat: { publish: async () => void order.push('chat') },
    });
    await sink.deliver(sampleFinding({ suppression: { status: 'active', reason: 'CHG-1', expires: '2099-01-01' } }));
    await sink.fold(sampleFinding());
    expect(order).toEqual(['archive', 'archive']);
  });
});

describe('CHAT_TOPIC_ARN', () => {
  const env = { TABLE_NAME: 't', TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:f', EVIDENCE_BUCKET: 'b' };
  it('turns chat on when set, and is off when unset', () => {
    expect(parseEvaluateEnv({ ...env, CHAT_TOPIC_ARN: TOPIC }).chatTopicArn).toBe(TOPIC);
    expect(parseEvaluateEnv(env)).not.toHaveProperty('chatTopicArn');
  });
  it('is read by the health function too', () => {
    const health = { ...env, ACCOUNT_ID: '111122223333', AWS_REGION: 'us-east-1' };
    expect(parseHealthEnv({ ...health, CHAT_TOPIC_ARN: TOPIC }).chatTopicArn).toBe(TOPIC);
    expect(parseHealthEnv(health)).not.toHaveProperty('chatTopicArn');
  });

  it('fails at init on something that is not a topic ARN', () => {
    expect(() => parseEvaluateEnv({ ...env, CHAT_TOPIC_ARN: 'https://hooks.slack.com/x' })).toThrow(
      'CHAT_TOPIC_ARN is not an SNS topic ARN',
    );
  });
});
