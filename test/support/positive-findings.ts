import { caseEvent } from '../../rules/core/cases.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import type { Finding } from '../../rules/core/finding.ts';
import type { History } from '../../rules/core/history.ts';
import { EMPTY_HISTORY, recordSightings } from '../../rules/core/history.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../rules/core/memory.ts';
import type { HistoryStore } from '../../rules/core/ports.ts';
import { preparedRecords } from '../../rules/core/prepare.ts';
import type { AuditEvent, Rule, RuleCase } from '../../rules/core/types.ts';
import { ruleTextFrom, ruleTextTable, withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';

/**
 * Every rule's positive cases, each turned into the findings the real detector delivers for it (the same
 * way a deployed pipeline would): for checks that a rendering holds for the whole catalogue (OCSF, chat cards).
 */
export const DOCUMENTED = await withDocs(RULES);
const ruleText = ruleTextFrom(ruleTextTable(DOCUMENTED));

const seededHistory = (seed: History): HistoryStore => {
  const histories = new Map<string, History>();
  return {
    record: async (requests) =>
      requests.map(({ key, spec, sightings }) => {
        const history = recordSightings(histories.get(key) ?? seed, sightings, spec);
        histories.set(key, history);
        return { key, ok: true as const, history };
      }),
  };
};

const parsed = (rule: Rule, c: RuleCase, event: unknown, n: number): AuditEvent => {
  const p = caseEvent(rule, { ...c, event });
  if (!p.ok) throw new Error(`${rule.id} ${c.name}: ${p.error}`);
  return n === 0 ? p.event : { ...p.event, id: `${p.event.id}-${n}` };
};

const loadedList = (c: RuleCase) => {
  const view = c.intel?.anonymisers;
  if (view?.kind !== 'loaded') throw new Error('no list');
  return view.list;
};

const detect = async (rule: Rule, c: RuleCase): Promise<Finding[]> => {
  const delivered: Finding[] = [];
  const config = { ...DEFAULT_DETECTION_CONFIG, ...c.config };
  const detector = createDetector({
    catalogue: buildCatalogue([rule]),
    config:
      c.criticality === undefined
        ? config
        : { ...config, criticality: { ...config.criticality, default: c.criticality } },
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink: { deliver: async (f) => void delivered.push(f), fold: async () => {} },
    ruleText,
    history: seededHistory(c.history ?? EMPTY_HISTORY),
    // The case's IP intelligence (a fake IP database, its anonymiser list), as the detector would load it.
    intel: {
      ...(c.intel?.geo === undefined ? {} : { geo: async () => c.intel?.geo ?? Promise.reject(new Error('no geo')) }),
      ...(c.intel?.anonymisers?.kind === 'loaded'
        ? { anonymisers: { source: c.intel.anonymisers.list.source, load: async () => loadedList(c) } }
        : {}),
    },
  });
  for (const [i, before] of (c.before ?? []).entries()) await detector.process([parsed(rule, c, before, i + 1000)]);
  // A backdated preparation: its records, dated days before the case's event, as a drill sends them.
  const at = parsed(rule, c, c.event, 0).timeMs;
  for (const p of preparedRecords(c.prepare ?? [], at, (i) => `prepare-${i}`))
    await detector.process([parsed(rule, c, p.record, 0)]);
  const repeats = Math.max(
    1,
    ...Object.values(rule.threshold?.byCriticality ?? {}).map((w) => w.count),
    rule.threshold?.count ?? 1,
  );
  await detector.process(Array.from({ length: repeats }, (_, n) => parsed(rule, c, c.event, n)));
  return delivered;
};

/** A distinct-count rule cannot fire from one repeated case: its threshold is lifted for the rendering check. */
export const findingsOf = async (rule: Rule, c: RuleCase): Promise<Finding[]> => {
  const found = await detect(rule, c);
  return found.length > 0 || rule.threshold === null ? found : detect({ ...rule, threshold: null }, c);
};

export const POSITIVE_CASES = DOCUMENTED.flatMap(([rule, docs]) =>
  docs
    .cases()
    .filter((c) => c.expect === 'match')
    .map((c) => [`${rule.id}: ${c.name}`, rule, c] as const),
);
