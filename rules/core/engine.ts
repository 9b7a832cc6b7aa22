import { serviceOf } from './cloudtrail.ts';
import type { DetectionConfig } from './config.ts';
import { resolveCriticality } from './config.ts';
import type { RuleIntel } from './geo.ts';
import type { HistoryView } from './history.ts';
import { eventTags } from './tags.ts';
import type { AuditEvent, CloudTrailSelector, EventSelector, MatchFacts, Rule, RuleContext, Verdict } from './types.ts';
import { isCloudTrailSelector } from './types.ts';

/**
 * Dispatch index: which rules can care about an event, found by eventSource + eventName (or Config kind)
 * in O(1), so the cost per event does not grow with the size of the catalogue.
 */
export interface CatalogueOf<R> {
  readonly rules: readonly R[];
  readonly candidates: (e: AuditEvent) => readonly R[];
  /**
   * Makes every rule these events can reach ready for `candidates` (a lazy catalogue loads their code; an eager
   * one has nothing to do): answers the rules that could not be loaded and the events that needed them.
   */
  readonly prepare?: (events: readonly AuditEvent[]) => Promise<readonly UnloadedRules[]>;
}

/** Rules a batch needed but could not load, with the events that needed them (retried, never judged without). */
export interface UnloadedRules {
  readonly eventIds: readonly string[];
  readonly error: string;
}
export type Catalogue = CatalogueOf<Rule>;

/** What dispatch needs of a rule: its id and what it listens to (plain data, so it can cross to a worker). */
export interface Selecting {
  readonly id: string;
  readonly on: EventSelector;
}

const admits = (on: CloudTrailSelector, e: AuditEvent): boolean => {
  if (e.kind !== 'cloudtrail') return false;
  const where = on.where;
  if (where === undefined) return true;
  if (where.userIdentityType && !where.userIdentityType.includes(e.record.userIdentity.type ?? '')) return false;
  if (where.errorCode && !where.errorCode.includes(e.record.errorCode ?? '')) return false;
  if (where.userAgentContains) {
    const agent = e.record.userAgent ?? '';
    if (!where.userAgentContains.some((text) => agent.includes(text))) return false;
  }
  return true;
};

const dispatchIndex = <R extends Selecting>(rules: readonly R[]): CatalogueOf<R> => {
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new Error(`duplicate rule id: ${rule.id}`);
    ids.add(rule.id);
  }
  const exact = new Map<string, R[]>();
  const wildcard: { rule: R; on: CloudTrailSelector }[] = [];
  const configItem = new Map<string, R[]>();
  const configCompliance: R[] = [];
  const push = <K>(map: Map<K, R[]>, key: K, rule: R) => map.set(key, [...(map.get(key) ?? []), rule]);

  for (const rule of rules) {
    const on = rule.on;
    if (!isCloudTrailSelector(on)) {
      if ('resourceTypes' in on) for (const type of on.resourceTypes) push(configItem, type, rule);
      else configCompliance.push(rule);
    } else if (on.source === '*' || on.eventNames === '*') {
      wildcard.push({ rule, on });
    } else {
      for (const name of on.eventNames) push(exact, `${on.source}|${name}`, rule);
    }
  }

  // Per eventSource → eventName: the exact rules plus the wildcard ones whose source fits, computed once.
  // Nested maps keyed by the raw strings avoid building a key string for every event on the hot path.
  type Entry = { fixed: readonly R[]; filtered: readonly { rule: R; on: CloudTrailSelector }[] };
  const cache = new Map<string, Map<string, Entry>>();
  const forKey = (eventSource: string, name: string): Entry => {
    let byName = cache.get(eventSource);
    if (byName === undefined) {
      byName = new Map();
      cache.set(eventSource, byName);
    }
    let entry = byName.get(name);
    if (entry === undefined) {
      const service = serviceOf(eventSource);
      const key = `${service}|${name}`;
      const fitting = wildcard.filter(
        ({ on }) =>
          (on.source === '*' || on.source === service) && (on.eventNames === '*' || on.eventNames.includes(name)),
      );
      entry = {
        fixed: [
          ...(exact.get(key) ?? []),
          ...fitting.filter(({ on }) => on.where === undefined).map(({ rule }) => rule),
        ],
        filtered: fitting.filter(({ on }) => on.where !== undefined),
      };
      byName.set(name, entry);
    }
    return entry;
  };

  const candidates = (e: AuditEvent): readonly R[] => {
    switch (e.kind) {
      case 'config-item-change':
        return configItem.get(e.detail.configurationItem.resourceType) ?? [];
      case 'config-compliance-change':
        return configCompliance;
      case 'cloudtrail': {
        const entry = forKey(e.record.eventSource, e.record.eventName);
        if (entry.filtered.length === 0) return entry.fixed;
        const admitted = entry.filtered.filter(({ on }) => admits(on, e)).map(({ rule }) => rule);
        return admitted.length === 0 ? entry.fixed : [...entry.fixed, ...admitted];
      }
    }
  };

  return { rules, candidates };
};

export const buildCatalogue = (rules: readonly Rule[]): Catalogue => dispatchIndex(rules);

/** A dispatch index over anything that selects like a rule (see `Prejudged` in detector.ts). */
export const catalogueOf = <R extends Selecting>(entries: readonly R[]): CatalogueOf<R> => dispatchIndex(entries);

/**
 * A catalogue of selectors alone (`rules.map((r) => r.on)`): the same `candidates` count for every event as the
 * catalogue they came from, without loading a rule. Scan workers use it to drop events no rule listens to.
 */
export const selectorCatalogue = (selectors: readonly EventSelector[]): CatalogueOf<Selecting> =>
  dispatchIndex(selectors.map((on, i) => ({ id: String(i), on })));

/** Builds the per-event context once: criticality comes from the account and the resources involved. */
export const contextFor = (
  config: DetectionConfig,
  e: AuditEvent,
  resources: readonly string[],
  intel?: RuleIntel,
): RuleContext => ({
  criticality: resolveCriticality(config.criticality, e.account, resources, () => eventTags(e)),
  config,
  ...(intel?.geo === undefined ? {} : { geo: intel.geo }),
  ...(intel?.anonymisers === undefined ? {} : { anonymisers: intel.anonymisers }),
});

/** What went wrong, as text, whatever was thrown (even an object whose `toString` throws). */
export const describeError = (err: unknown): string => {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return 'unprintable error';
  }
};

/**
 * The history a behaviour rule sees for an event: a view of its memory, or `unavailable` when the store
 * could not be read (the rule is then skipped for this event and the event retried, never guessed).
 */
export type HistoryLookup = (rule: Rule, e: AuditEvent) => HistoryView | 'unavailable' | undefined;

/** A rule's explanation must never cost a finding: a throwing `explain` is reported inside the details. */
const detailsOf = (rule: Rule, e: AuditEvent, ctx: RuleContext): readonly string[] => {
  try {
    return rule.explain(e, ctx);
  } catch (err) {
    return [`(explanation failed: ${describeError(err)})`];
  }
};

/** What the detector and the finding need from a matching rule, computed here, under the one guard. */
const factsOf = (rule: Rule, e: AuditEvent, ctx: RuleContext, resources: readonly string[]): MatchFacts => {
  const ignored = e.notes === undefined ? [] : e.notes.map((note) => `record field ${note}`);
  const explained = detailsOf(rule, e, ctx);
  const details = ignored.length === 0 ? explained : [...explained, ...ignored];
  const t = rule.threshold;
  if (t === null) return { resources, dedupKey: rule.dedup.key(e), details };
  const groupKey = t.groupBy(e);
  return t.distinct ? { resources, groupKey, distinct: t.distinct(e), details } : { resources, groupKey, details };
};

/** Run every candidate rule on one event. A throwing rule yields an `error` verdict; the others still run. */
export const evaluate = (
  catalogue: Catalogue,
  config: DetectionConfig,
  e: AuditEvent,
  historyOf?: HistoryLookup,
  intel?: RuleIntel,
): Verdict[] => {
  const rules = catalogue.candidates(e);
  if (rules.length === 0) return [];
  const verdicts: Verdict[] = [];
  for (const rule of rules) {
    try {
      const history = rule.history === null ? undefined : historyOf?.(rule, e);
      if (history === 'unavailable') continue;
      const resources = rule.resources(e);
      const base = contextFor(config, e, resources, intel);
      const ctx = history === undefined ? base : { ...base, history };
      verdicts.push(
        rule.match(e, ctx)
          ? { kind: 'match', rule, event: e, ctx, facts: factsOf(rule, e, ctx, resources) }
          : { kind: 'no-match', rule },
      );
    } catch (err) {
      verdicts.push({ kind: 'error', rule, event: e, error: describeError(err) });
    }
  }
  return verdicts;
};
