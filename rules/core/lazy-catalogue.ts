import type { Catalogue, Selecting, UnloadedRules } from './engine.ts';
import { catalogueOf, describeError } from './engine.ts';
import type { AuditEvent, Rule } from './types.ts';

/**
 * A rule known by its id and selector alone, its code one `import()` away. `rules/lazy/catalogue.ts` lists every
 * registered rule so (written by `npm run docs`, checked by `docs --check`), and esbuild makes a chunk of each
 * service's rules: the evaluate function compiles only the services its events reach, not the whole catalogue.
 */
export interface LazyRule extends Selecting {
  readonly load: () => Promise<Rule>;
}

/**
 * A catalogue that loads each rule's code on the first batch with an event its selector admits. `prepare` must
 * run before `candidates` for a batch (the detector does so); asking for a rule that is not loaded throws rather
 * than judging an event without it. Dispatch is the eager catalogue's, over the same selectors in the same order,
 * so both give the same candidates for every event (test/rules/lazy-catalogue.test.ts).
 */
export const lazyCatalogue = (entries: readonly LazyRule[]): Catalogue => {
  const index = catalogueOf(entries);
  const loaded = new Map<string, Rule>();
  const inFlight = new Map<string, Promise<Rule>>();

  const load = (entry: LazyRule): Promise<Rule> => {
    let pending = inFlight.get(entry.id);
    if (pending === undefined) {
      pending = entry.load().then((rule) => {
        // A stale list would route events to the wrong rules: refuse it loudly instead of judging with it.
        const why =
          rule.id !== entry.id
            ? `its module gave ${rule.id}`
            : JSON.stringify(rule.on) !== JSON.stringify(entry.on)
              ? 'the rule selects other events'
              : undefined;
        if (why !== undefined)
          throw new Error(`rules/lazy/ is stale for ${entry.id} (${why}): regenerate it with npm run docs`);
        loaded.set(entry.id, rule);
        return rule;
      });
      inFlight.set(entry.id, pending);
      // A failed load is tried again by the next batch (the retry of the events that needed it).
      pending.catch(() => inFlight.delete(entry.id));
    }
    return pending;
  };

  const ruleOf = (entry: LazyRule): Rule => {
    const rule = loaded.get(entry.id);
    if (rule === undefined) throw new Error(`rule ${entry.id} is not loaded: prepare the batch first`);
    return rule;
  };

  return {
    get rules() {
      return entries.flatMap((entry) => loaded.get(entry.id) ?? []);
    },
    candidates: (e) => index.candidates(e).map(ruleOf),
    prepare: async (events: readonly AuditEvent[]): Promise<readonly UnloadedRules[]> => {
      const needed = new Map<LazyRule, string[]>();
      for (const e of events)
        for (const entry of index.candidates(e))
          if (!loaded.has(entry.id)) {
            const ids = needed.get(entry);
            if (ids === undefined) needed.set(entry, [e.id]);
            else ids.push(e.id);
          }
      const results = await Promise.all(
        [...needed].map(async ([entry, eventIds]) => {
          try {
            await load(entry);
            return [];
          } catch (err) {
            return [
              { ruleId: entry.id, eventIds, error: `rule ${entry.id} could not be loaded: ${describeError(err)}` },
            ];
          }
        }),
      );
      return results.flat();
    },
  };
};
