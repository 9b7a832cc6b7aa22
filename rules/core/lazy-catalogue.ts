import type { Catalogue, Selecting, UnloadedRules } from './engine.ts';
import { catalogueOf, describeError } from './engine.ts';
import type { AuditEvent, Rule } from './types.ts';

/**
 * A catalogue that dispatches on the rules' ids and selectors alone (`rules/selectors.ts`, written by `npm run docs`
 * and checked by `docs --check`) and loads the rules' code, all at once, on the first batch with an event some
 * selector admits. The evaluate function so starts without compiling the catalogue: its cold init loads the
 * selectors, and a batch that reaches no rule (heartbeats, reads no rule listens to) never loads it at all.
 * Measured (README, "Benchmark"): one chunk of every rule loads faster than a chunk per service, whose shared
 * chunks cost more module loads than the compile they save.
 *
 * `prepare` must run before `candidates` for a batch (the detector does so); asking before the rules are loaded
 * throws rather than judging an event without them. Dispatch is the eager catalogue's over the same selectors in
 * the same order, so both give the same candidates for every event (test/rules/lazy-catalogue.test.ts); once the
 * rules are loaded, their own catalogue answers.
 */
export const lazyCatalogue = (selectors: readonly Selecting[], loadCatalogue: () => Promise<Catalogue>): Catalogue => {
  const index = catalogueOf(selectors);
  // Once loaded, the rules' own catalogue answers (the one rules/index.ts builds as it loads).
  let loaded: Catalogue | undefined;
  let loading: Promise<void> | undefined;

  const load = async (): Promise<void> => {
    const catalogue = await loadCatalogue();
    const rules = catalogue.rules;
    // A stale list would route events to the wrong rules: refuse it loudly instead of judging with it.
    const stale = rules.length !== selectors.length ? 'the rules are not those listed' : staleAt(selectors, rules);
    if (stale !== undefined) throw new Error(`rules/selectors.ts is stale (${stale}): regenerate it with npm run docs`);
    loaded = catalogue;
  };

  return {
    get rules() {
      return loaded?.rules ?? [];
    },
    candidates: (e) => {
      if (loaded !== undefined) return loaded.candidates(e);
      const first = index.candidates(e)[0];
      if (first !== undefined) throw new Error(`rule ${first.id} is not loaded: prepare the batch first`);
      return [];
    },
    prepare: async (events: readonly AuditEvent[]): Promise<readonly UnloadedRules[]> => {
      if (loaded !== undefined) return [];
      const waiting = events.filter((e) => index.candidates(e).length > 0).map((e) => e.id);
      if (waiting.length === 0) return [];
      loading ??= load();
      try {
        await loading;
        return [];
      } catch (err) {
        // The next batch (the retry of these events) tries again.
        loading = undefined;
        return [{ eventIds: waiting, error: `the rules could not be loaded: ${describeError(err)}` }];
      }
    },
  };
};

/** The first rule that differs from its listed id or selector, described; undefined when every one matches. */
const staleAt = (selectors: readonly Selecting[], rules: readonly Rule[]): string | undefined => {
  for (const [i, listed] of selectors.entries()) {
    const rule = rules[i];
    if (rule?.id !== listed.id) return `${listed.id} is listed where the catalogue has ${rule?.id}`;
    if (JSON.stringify(rule.on) !== JSON.stringify(listed.on)) return `${listed.id} selects other events`;
  }
  return undefined;
};
