import type { Finding } from '../../rules/core/finding.ts';
import type { NotificationKind } from '../../rules/core/incident.ts';
import type { IncidentNotice } from '../../rules/core/ports.ts';

/**
 * Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification: the JSON an SNS topic
 * mapped to a Slack or Teams channel must carry to be shown as a card ("Custom notifications using Amazon Q
 * Developer in chat applications", event schema). Anything else published to such a topic is dropped silently.
 */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/**
 * Limits kept by every card. The schema page gives field names and types; these bounds are deliberately tighter
 * than any channel's (Slack cuts a text block at 3,000 characters, SNS a message at 256 KB), so a card is never
 * refused or cut mid-word by the channel: a long finding is shortened here, with an ellipsis, and the evidence
 * key points at the whole of it.
 */
export const CHAT_LIMITS = {
  title: 250,
  description: 3000,
  nextSteps: 5,
  nextStep: 300,
  keywords: 10,
  keyword: 50,
  summary: 250,
  relatedResources: 10,
  relatedResource: 1024,
  additionalContext: 12,
  contextValue: 512,
  message: 32 * 1024,
} as const;

/** What a card says about the finding: a new page, a later finding of a paged incident, a rise, or the end. */
export type ChatKind = NotificationKind;

const KIND_TAG: Readonly<Record<ChatKind, string>> = {
  page: '[PAGE]',
  escalation: '[ESCALATION]',
  update: '[UPDATE]',
  resolved: '[RESOLVED]',
};

const SEVERITY_ICON = {
  critical: ':rotating_light:',
  high: ':red_circle:',
  medium: ':large_orange_diamond:',
  low: ':large_blue_diamond:',
  info: ':information_source:',
} as const;

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/**
 * Text that came from an event (user names, user agents, resource names, request details) is written by whoever
 * made the call. In chat markdown it could mention `<!channel>`, link `<https://evil|the runbook>` or close a code
 * span and format the card: it is shown as inline code, one line, with the characters that would do that swapped
 * for look-alikes.
 */
export const untrusted = (text: string, max = 300): string =>
  `\`${cut(
    text
      .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
      .replace(/`/g, "'")
      .replace(/</g, '‹')
      .replace(/>/g, '›'),
    max,
  )}\``;

/** The replay marker a replayed finding may carry (set by the replay path; absent on live findings). */
const isReplay = (f: Finding): boolean => f.replay !== undefined;

export interface ChatContext {
  readonly kind: ChatKind;
  readonly evidenceKey?: string;
  /** The incident notice the finding was delivered with (page, escalation, update). */
  readonly notice?: IncidentNotice;
  /** For `resolved`: when, and why it cleared. */
  readonly resolution?: { readonly at: string; readonly reason: string };
}

/** The kind a delivered finding's card has: its incident notice's, else a page of its own. */
export const chatKindOf = (notice?: IncidentNotice): ChatKind => notice?.kind ?? 'page';

/**
 * One card per delivered finding (and per resolution). Cards of one incident share its id as `threadId`, so a
 * channel that threads updates shows the page, its updates, escalations and resolution as one thread. Drills and
 * replays say so first in the title: nobody should act on them as on a live page.
 */
export const renderChatNotification = (f: Finding, ctx: ChatContext): ChatNotification => {
  const incidentId = ctx.notice?.incident.id ?? f.incidentId;
  const marks = `${f.drill ? '[DRILL] ' : ''}${isReplay(f) ? '[REPLAY] ' : ''}`;
  const title = cut(
    `${marks}${KIND_TAG[ctx.kind]} ${SEVERITY_ICON[f.severity]} ${f.severity.toUpperCase()}: ${f.title}`,
    CHAT_LIMITS.title,
  );
  const who = [
    untrusted(f.actor.arn),
    f.actor.sourceIp === undefined ? '' : `from ${untrusted(f.actor.sourceIp, 100)}`,
    f.actor.userAgent === undefined ? '' : `(${untrusted(f.actor.userAgent, 150)})`,
  ]
    .filter(Boolean)
    .join(' ');
  const resources = f.resources.slice(0, 5).map((r) => untrusted(r, 200));
  const lines = [
    ...(f.drill ? ['*DRILL: simulated events, no action needed.*'] : []),
    ...(isReplay(f) ? ['*REPLAY: found in past CloudTrail logs, not live.*'] : []),
    ...(ctx.kind === 'resolved' && ctx.resolution
      ? [`*Resolved:* ${untrusted(ctx.resolution.at, 40)}: ${untrusted(ctx.resolution.reason, 300)}`]
      : []),
    `*What:* ${cut(f.description, 600)}`,
    `*Severity:* ${f.severity} (asset criticality ${f.criticality})`,
    `*Who:* ${who}`,
    `*Where:* account ${untrusted(f.account, 20)}, region ${untrusted(f.region, 30)}`,
    `*Resources:* ${resources.length > 0 ? resources.join(', ') : '-'}${f.resources.length > 5 ? ` and ${f.resources.length - 5} more` : ''}`,
    `*When:* ${untrusted(f.firstSeen === f.lastSeen ? f.firstSeen : `${f.firstSeen} to ${f.lastSeen}`, 80)} (${f.count} event${f.count === 1 ? '' : 's'})`,
    ...(f.details ?? []).slice(0, 3).map((d) => `*Detail:* ${untrusted(d, 300)}`),
    `*Rule:* ${untrusted(f.ruleId, 100)}, controls ${f.controls.join(', ')}, MITRE ${f.mitre.join(', ') || '-'}`,
    ...(incidentId === undefined ? [] : [`*Incident:* ${untrusted(incidentId, 80)}${incidentLine(ctx)}`]),
    `*Evidence:* ${ctx.evidenceKey === undefined ? 'not archived' : untrusted(ctx.evidenceKey, 200)}`,
    ...(f.suppression?.status === 'expired'
      ? [`*Note:* a suppression of this finding expired on ${untrusted(f.suppression.expires, 40)}`]
      : []),
  ];
  const nextSteps = [
    ...(ctx.kind === 'resolved' ? ['Confirm the cause is gone, then record the verdict (trailwarden triage).'] : []),
    ...f.runbook,
  ]
    .slice(0, CHAT_LIMITS.nextSteps)
    .map((s) => cut(s, CHAT_LIMITS.nextStep));
  const keywords = [
    f.severity,
    ctx.kind,
    ...f.controls,
    ...(f.drill ? ['drill'] : []),
    ...(isReplay(f) ? ['replay'] : []),
    f.ruleId,
  ]
    .slice(0, CHAT_LIMITS.keywords)
    .map((k) => cut(k, CHAT_LIMITS.keyword));
  const context: Record<string, string> = {
    findingId: f.id,
    ruleId: f.ruleId,
    severity: f.severity,
    kind: ctx.kind,
    account: f.account,
    region: f.region,
    ...(incidentId === undefined ? {} : { incidentId }),
    ...(ctx.evidenceKey === undefined ? {} : { evidenceKey: ctx.evidenceKey }),
    ...(f.drill ? { drill: 'true' } : {}),
    ...(f.replay === undefined ? {} : { replay: f.replay.id }),
  };
  return {
    version: '1.0',
    source: 'custom',
    id: `${f.id}-${ctx.kind}`,
    content: {
      textType: 'client-markdown',
      title,
      description: fitLines(lines, CHAT_LIMITS.description),
      nextSteps,
      keywords,
    },
    metadata: {
      threadId: incidentId ?? f.id,
      summary: cut(`${marks}${KIND_TAG[ctx.kind]} ${f.severity.toUpperCase()} ${f.title}`, CHAT_LIMITS.summary),
      eventType: `trailwarden.${ctx.kind}`,
      relatedResources: f.resources
        .slice(0, CHAT_LIMITS.relatedResources)
        .map((r) => cut(r, CHAT_LIMITS.relatedResource)),
      additionalContext: Object.fromEntries(
        Object.entries(context)
          .slice(0, CHAT_LIMITS.additionalContext)
          .map(([k, v]) => [k, cut(v, CHAT_LIMITS.contextValue)]),
      ),
    },
  };
};

const incidentLine = (ctx: ChatContext): string => {
  const n = ctx.notice;
  if (n === undefined) return '';
  const count = n.incident.findingIds.length;
  const what =
    n.kind === 'page'
      ? 'new incident, paged'
      : n.kind === 'escalation'
        ? `severity rose to ${n.incident.pagedSeverity ?? n.incident.severity}, escalated`
        : 'update, no new page';
  return ` (${what}; ${count} finding${count === 1 ? '' : 's'} since ${n.incident.openedAt})`;
};

/** Whole lines while they fit, then an ellipsis line: a card never ends mid-code-span. */
const fitLines = (lines: readonly string[], max: number): string => {
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    const add = (kept.length === 0 ? 0 : 1) + line.length;
    if (length + add > max - 2) {
      kept.push('…');
      break;
    }
    kept.push(line);
    length += add;
  }
  return kept.join('\n');
};

/** The SNS message: the card as JSON, shortened further only if a finding is pathological. */
export const chatMessage = (f: Finding, ctx: ChatContext): string => {
  const card = renderChatNotification(f, ctx);
  const json = JSON.stringify(card);
  if (json.length <= CHAT_LIMITS.message) return json;
  return JSON.stringify({ ...card, metadata: { ...card.metadata, relatedResources: [] } });
};
