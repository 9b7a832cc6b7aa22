import { isDeepStrictEqual } from 'node:util';
import type { DetectionConfig } from '../../rules/core/config.ts';
import type { Prejudged } from '../../rules/core/detector.ts';
import { actsOn, judgedAlone, needsDetector } from '../../rules/core/detector.ts';
import { catalogueOf, selectorCatalogue } from '../../rules/core/engine.ts';
import { createSegmentedKnownValues } from '../../rules/core/known-values.ts';
import type { EventSelector, Rule } from '../../rules/core/types.ts';
import type { Keep } from '../sources.ts';
import type { WorkerSetup } from './protocol.ts';

/**
 * The `Keep` for a file of scan segment `segment` (`segmentsOf`): files come in input order, so segments only grow
 * in each thread. Its memory of values seen (`known-values.ts`) spans the segment's files this thread reads.
 */
export type KeepFor = (segment: number) => Keep;

/**
 * Which events a reader keeps for the detector, in a scan worker and in the scan's own thread alike. Without a
 * judge, every event some rule listens to is kept.
 */
const keepOver = (
  selectors: readonly EventSelector[],
  judge: { readonly config: DetectionConfig; readonly entries: readonly Prejudged[] } | undefined,
): KeepFor => {
  if (judge === undefined) {
    const selecting = selectorCatalogue(selectors);
    return () => (e) => actsOn(selecting, e);
  }
  const catalogue = catalogueOf(judge.entries);
  const knownIn = createSegmentedKnownValues();
  return (segment) => {
    const known = knownIn(segment);
    return (e) => needsDetector(catalogue, judge.config, e, known);
  };
};

/**
 * In a worker: the main thread's catalogue, each rule judged on the spot only where the setup names the rule
 * registered under that id for that selector (`registry`: the rules of `rules/index.ts`).
 */
export const workerKeep = (setup: WorkerSetup, registry: readonly Rule[]): KeepFor => {
  const judge = setup.judge;
  if (judge === undefined) return keepOver(setup.selectors, undefined);
  const byId = new Map<string, Rule>(registry.map((r) => [r.id, r]));
  const registered = (id: string | null | undefined, on: EventSelector): Rule | undefined => {
    const rule = id === null || id === undefined ? undefined : byId.get(id);
    return rule !== undefined && isDeepStrictEqual(rule.on, on) ? rule : undefined;
  };
  const entries = setup.selectors.map((on, i) => ({
    id: String(i),
    on,
    alone: registered(judge.alone[i], on),
    onlyNew: registered(judge.onlyNew[i], on),
  }));
  return keepOver(setup.selectors, { config: judge.config, entries });
};

/**
 * In the scan's own thread: every rule that needs nothing but the event is judged here (the rules are at hand), and
 * repeats are dropped for the rules a worker drops them for (`setup.judge.onlyNew`). What a reader drops depends on
 * the files it read before; what reaches the detector does not (`known-values.ts` says why).
 */
export const localKeep = (rules: readonly Rule[], config: DetectionConfig | undefined, setup: WorkerSetup): KeepFor => {
  if (config === undefined) return keepOver(setup.selectors, undefined);
  const onlyNew = setup.judge?.onlyNew;
  const entries = rules.map((rule, i) => ({
    id: String(i),
    on: rule.on,
    alone: judgedAlone(rule) ? rule : undefined,
    onlyNew: onlyNew?.[i] === undefined || onlyNew[i] === null ? undefined : rule,
  }));
  return keepOver(setup.selectors, { config, entries });
};
