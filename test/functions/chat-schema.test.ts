import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ChatKind } from '../../functions/shared/chat-notification.ts';
import { CHAT_LIMITS, chatMessage } from '../../functions/shared/chat-notification.ts';
import { RULES } from '../../rules/index.ts';
import { findingsOf, POSITIVE_CASES } from '../support/positive-findings.ts';
import { sampleFinding } from './support.ts';

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const list = (maxItems: number, maxLength: number) => ({ type: 'array', maxItems, items: text(maxLength) });

/**
 * The documented event schema of Amazon Q Developer custom notifications ("Custom notifications using Amazon Q
 * Developer in chat applications": version "1.0", source "custom", content with textType client-markdown,
 * title, description, nextSteps, keywords; metadata with threadId, summary, eventType, relatedResources,
 * additionalContext of strings), closed to unknown keys, with Trailwarden's length limits (CHAT_LIMITS).
 */
const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'source', 'content'],
  properties: {
    version: { const: '1.0' },
    source: { const: 'custom' },
    id: text(256),
    content: {
      type: 'object',
      additionalProperties: false,
      required: ['description'],
      properties: {
        textType: { const: 'client-markdown' },
        title: text(CHAT_LIMITS.title),
        description: text(CHAT_LIMITS.description),
        nextSteps: list(CHAT_LIMITS.nextSteps, CHAT_LIMITS.nextStep),
        keywords: list(CHAT_LIMITS.keywords, CHAT_LIMITS.keyword),
      },
    },
    metadata: {
      type: 'object',
      additionalProperties: false,
      properties: {
        threadId: text(256),
        summary: text(CHAT_LIMITS.summary),
        eventType: text(100),
        relatedResources: list(CHAT_LIMITS.relatedResources, CHAT_LIMITS.relatedResource),
        additionalContext: {
          type: 'object',
          maxProperties: CHAT_LIMITS.additionalContext,
          additionalProperties: text(CHAT_LIMITS.contextValue),
        },
      },
    },
  },
} as const;
const validate = new Ajv({ allErrors: true }).compile(SCHEMA);
const errorsOf = (message: string): string => {
  if (message.length > CHAT_LIMITS.message) return `message of ${message.length} characters`;
  return validate(JSON.parse(message)) ? '' : JSON.stringify(validate.errors);
};
const KINDS: readonly ChatKind[] = ['page', 'update', 'escalation', 'resolved'];

describe('chat cards match the custom notification schema', () => {
  it.each(POSITIVE_CASES)('%s', async (_name, rule, c) => {
    const findings = await findingsOf(rule, c);
    expect(findings.length, 'the positive case produces a finding through the detector').toBeGreaterThan(0);
    for (const f of findings) {
      for (const kind of KINDS) {
        const message = chatMessage(f, {
          kind,
          evidenceKey: `findings/dt=2026-11-02/${f.severity}/${f.id}.json`,
          ...(kind === 'resolved' ? { resolution: { at: f.lastSeen, reason: 'cleared' } } : {}),
        });
        expect(errorsOf(message)).toBe('');
      }
    }
  });

  it('covers every rule', () => {
    expect(new Set(POSITIVE_CASES.map(([, rule]) => rule.id)).size).toBe(RULES.length);
  });

  it('is strict: an unknown key, a wrong type or an overlong title fails', () => {
    const good = JSON.parse(chatMessage(sampleFinding(), { kind: 'page' })) as Record<string, unknown>;
    expect(errorsOf(JSON.stringify(good))).toBe('');
    expect(errorsOf(JSON.stringify({ ...good, colour: 'red' }))).not.toBe('');
    expect(errorsOf(JSON.stringify({ ...good, version: 1 }))).not.toBe('');
    const content = good.content as Record<string, unknown>;
    expect(errorsOf(JSON.stringify({ ...good, content: { ...content, title: 'x'.repeat(251) } }))).not.toBe('');
  });
});
