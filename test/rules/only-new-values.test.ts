import { describe, expect, it } from 'vitest';
import { caseEvent } from '../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { contextFor } from '../../rules/core/engine.ts';
import type { History } from '../../rules/core/history.ts';
import { EMPTY_HISTORY, viewBefore } from '../../rules/core/history.ts';
import { withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';

/**
 * `onlyNewValues` lets a scan drop, before the detector, an event whose value the rule's history already holds
 * from an earlier time (`rules/core/known-values.ts`). That is only sound for a rule that never matches such an
 * event: every case of every such rule, judged with its value already remembered a minute before, must not match.
 */

const ONLY_NEW = RULES.filter((r) => r.history?.onlyNewValues === true);

describe('rules whose history declares onlyNewValues', () => {
  it('are the first-read and first-invoker rules', () => {
    expect(ONLY_NEW.map((r) => r.id).sort()).toEqual([
      'bedrock.new-model-invoker',
      'secretsmanager.secrets-retrieved-burst',
      'ssm.parameters-decrypted-burst',
    ]);
  });

  it('keep distinct values (one sighting per value, the step `known-values.ts` counts in)', () => {
    for (const rule of ONLY_NEW) expect(rule.history?.spec.distinctValues).toBe(true);
  });

  it.each(ONLY_NEW.map((r) => [r.id, r] as const))(
    '%s never matches a value remembered from before',
    async (_, rule) => {
      const [entry] = await withDocs([rule]);
      if (entry === undefined) throw new Error(`${rule.id} has no docs`);
      let judged = 0;
      for (const c of entry[1].cases()) {
        const parsed = caseEvent(rule, c);
        if (!parsed.ok || rule.history === null) continue;
        const event = parsed.event;
        const value = rule.history.remember(event, c.intel ?? {});
        if (value === undefined) continue;
        const base: History = c.history ?? EMPTY_HISTORY;
        const earlier = event.timeMs - 60_000;
        const remembered: History = {
          first: base.first === null ? earlier : Math.min(base.first, earlier),
          sightings: [...base.sightings, { id: 'an-earlier-event', v: value, t: earlier, last: earlier }],
        };
        const config = c.config ? { ...DEFAULT_DETECTION_CONFIG, ...c.config } : DEFAULT_DETECTION_CONFIG;
        const ctx = {
          ...contextFor(config, event, rule.resources(event), c.intel),
          history: viewBefore(remembered, event),
        };
        expect(rule.match(event, ctx), c.name).toBe(false);
        judged++;
      }
      expect(judged).toBeGreaterThan(0);
    },
  );
});
