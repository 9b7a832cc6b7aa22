import type { Finding } from './finding.ts';
import { foldInto } from './finding.ts';
import type { History } from './history.ts';
import { EMPTY_HISTORY, recordSightings } from './history.ts';
import type { IncidentScopeState } from './incident.ts';
import { byScope, correlate, EMPTY_SCOPE } from './incident.ts';
import type {
  Admission,
  CounterStore,
  ExpectationStore,
  FindingLedger,
  Heartbeat,
  HeartbeatStore,
  HistoryStore,
  IncidentResult,
  IncidentStore,
} from './ports.ts';
import type { WindowState } from './window.ts';
import { applyWindow, EMPTY_WINDOW } from './window.ts';

/** In-memory counters for the CLI and tests; same `applyWindow` as the DynamoDB adapter. */
export const createMemoryCounterStore = (): CounterStore & { readonly size: () => number } => {
  const states = new Map<string, WindowState>();
  return {
    size: () => states.size,
    observe: async (requests) =>
      requests.map(({ key, params, events }) => {
        const { state, fires } = applyWindow(states.get(key) ?? EMPTY_WINDOW, events, params);
        if (state.pending.length === 0 && state.claims.length === 0) states.delete(key);
        else states.set(key, state);
        return { key, ok: true as const, fires };
      }),
  };
};

interface LedgerEntry {
  finding: Finding;
  delivered: boolean;
}

/** In-memory ledger: dedup window anchored at the first finding's `firstSeen` (event time). */
export const createMemoryLedger = (): FindingLedger => {
  const entries = new Map<string, LedgerEntry>();
  return {
    admit: async (finding, dedupKey, windowMs): Promise<Admission> => {
      const current = entries.get(dedupKey);
      const fresh = (): Admission => {
        entries.set(dedupKey, { finding, delivered: false });
        return { kind: 'deliver', finding };
      };
      if (current === undefined) return fresh();
      if (current.finding.id === finding.id) {
        if (!current.delivered) return { kind: 'deliver', finding: current.finding };
        const merged = foldInto(current.finding, finding);
        current.finding = merged;
        return { kind: 'duplicate', finding: merged };
      }
      const anchor = Date.parse(current.finding.firstSeen);
      if (Math.abs(Date.parse(finding.firstSeen) - anchor) >= windowMs) return fresh();
      current.finding = foldInto(current.finding, finding);
      return { kind: 'fold', finding: current.finding };
    },
    delivered: async (finding, dedupKey) => {
      const current = entries.get(dedupKey);
      if (current && current.finding.id === finding.id) {
        current.delivered = true;
        // Later repeats fold into the finding as delivered, incident and all.
        if (finding.incidentId !== undefined) current.finding = { ...current.finding, incidentId: finding.incidentId };
      }
    },
    // One process, one detector: there is no other handler to hold a claim against.
    release: async () => {},
  };
};

/** In-memory behaviour history for the CLI and tests; same `recordSightings` as the DynamoDB adapter. */
export const createMemoryHistoryStore = (): HistoryStore => {
  const histories = new Map<string, History>();
  return {
    record: async (requests) =>
      requests.map(({ key, spec, sightings }) => {
        const history = recordSightings(histories.get(key) ?? EMPTY_HISTORY, sightings, spec);
        histories.set(key, history);
        return { key, ok: true as const, history };
      }),
  };
};

/** In-memory heartbeats for tests and the CLI: the same forward-only and conditional semantics as DynamoDB. */
/** First expectations in memory (never moved once set), like the DynamoDB store. */
export const createMemoryExpectationStore = (): ExpectationStore => {
  const since = new Map<string, number>();
  return {
    firstExpected: async (pairs, nowMs) => {
      const out = new Map<string, number>();
      for (const { account, region } of pairs) {
        const key = `${account}/${region}`;
        if (!since.has(key)) since.set(key, nowMs);
        out.set(key, since.get(key) ?? nowMs);
      }
      return out;
    },
  };
};

export const createMemoryHeartbeatStore = (): HeartbeatStore => {
  const beats = new Map<string, Heartbeat>();
  const keyOf = (account: string, region: string) => `${account}/${region}`;
  return {
    advance: async (updates) => {
      for (const { account, region, timeMs } of updates) {
        const current = beats.get(keyOf(account, region));
        if (current === undefined) beats.set(keyOf(account, region), { account, region, lastEventMs: timeMs });
        else if (current.lastEventMs < timeMs) beats.set(keyOf(account, region), { ...current, lastEventMs: timeMs });
      }
    },
    list: async () => [...beats.values()],
    markSilent: async (account, region, silence) => {
      const current = beats.get(keyOf(account, region));
      if (current === undefined || current.lastEventMs !== silence.lastEventMs) return false;
      beats.set(keyOf(account, region), { ...current, silence });
      return true;
    },
    clearSilence: async (account, region, findingId) => {
      const current = beats.get(keyOf(account, region));
      if (current?.silence?.findingId !== findingId) return false;
      const { silence: _, ...rest } = current;
      beats.set(keyOf(account, region), rest);
      return true;
    },
  };
};

/** In-memory incident correlation for the CLI and tests; same `correlate` as the DynamoDB adapter. */
export const createMemoryIncidentStore = (): IncidentStore & { readonly writes: () => number } => {
  const scopes = new Map<string, IncidentScopeState>();
  let writes = 0;
  return {
    writes: () => writes,
    correlate: async (findings, config) => {
      const results: IncidentResult[] = [];
      for (const [scope, group] of byScope(findings)) {
        const out = correlate(scopes.get(scope) ?? EMPTY_SCOPE, group, config);
        if (out.changed) {
          scopes.set(scope, out.state);
          writes++;
        }
        for (const a of out.assignments) results.push({ ok: true, ...a });
      }
      return results;
    },
  };
};
