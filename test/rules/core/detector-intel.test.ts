import { describe, expect, it } from 'vitest';
import { createCollectingSink } from '../../../cli/collecting-sink.ts';
import { rule as loggingStopped } from '../../../rules/cloudtrail/logging-stopped.rule.ts';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import type { IntelSource } from '../../../rules/core/detector.ts';
import { createDetector } from '../../../rules/core/detector.ts';
import { buildCatalogue } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import { createMemoryCounterStore, createMemoryLedger } from '../../../rules/core/memory.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import { fakeAnonymisers, fakeGeo } from '../../../rules/fixtures/geo.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule as anonymiser } from '../../../rules/signin/anonymiser.rule.ts';
import { rule as newCountry } from '../../../rules/signin/new-country.rule.ts';
import { rule as newNetwork } from '../../../rules/signin/new-network.rule.ts';
import { rule as newSource } from '../../../rules/signin/new-source.rule.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T08:00:00Z');
const GEO = fakeGeo({
  '192.0.2.10': { country: 'DE', asn: 64496, asOrg: 'Example Carrier' },
  '192.0.2.11': { country: 'DE', asn: 64496, asOrg: 'Example Carrier' },
  '192.0.2.20': { country: 'DE', asn: 64497, asOrg: 'Example Hosting' },
  '198.51.100.23': { country: 'BR', asn: 64500, asOrg: 'Example Telecom' },
});

let n = 0;
const signIn = (day: number, ip: string, overrides: Record<string, unknown> = {}): AuditEvent => {
  n++;
  const parsed = fromRecord(
    fixture('signin/ConsoleLogin', {
      eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      eventTime: new Date(T0 + day * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      sourceIPAddress: ip,
      ...overrides,
    }),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};

const detectorWith = (intel: IntelSource, config: DetectionConfig = DEFAULT_DETECTION_CONFIG) => {
  const sink = createCollectingSink({ keepStates: false });
  const detector = createDetector({
    catalogue: buildCatalogue([newCountry, newNetwork, newSource, anonymiser, loggingStopped]),
    config,
    counters: createMemoryCounterStore(),
    ledger: createMemoryLedger(),
    sink,
    intel,
  });
  return { detector, sink };
};

const learning = () => Array.from({ length: 20 }, (_, d) => signIn(d, d % 2 === 0 ? '192.0.2.10' : '192.0.2.11'));

describe('sign-in places through the detector', () => {
  it('a new country pages (high), a new network in a known country is medium, a new address alone is new-source', async () => {
    const { detector } = detectorWith({ geo: async () => GEO });
    await detector.process(learning());
    const out = await detector.process([signIn(21, '198.51.100.23')]);
    expect(out.delivered.map((f) => [f.ruleId, f.severity])).toEqual(
      expect.arrayContaining([
        ['signin.new-country', 'high'],
        ['signin.new-source', 'medium'],
      ]),
    );
    expect(out.delivered.map((f) => f.ruleId)).not.toContain('signin.new-network');
    const country = out.delivered.find((f) => f.ruleId === 'signin.new-country');
    expect(country?.details).toEqual(
      expect.arrayContaining([
        'signed in from 198.51.100.23: BR, AS64500 (Example Telecom)',
        'countries known for this person: DE',
      ]),
    );
    const network = await detector.process([signIn(22, '192.0.2.20')]);
    expect(network.delivered.map((f) => [f.ruleId, f.severity]).sort()).toEqual([
      ['signin.new-network', 'medium'],
      ['signin.new-source', 'medium'],
    ]);
    const again = await detector.process([
      signIn(23, '192.0.2.11', { eventID: 'ffffffff-0000-4000-8000-000000000001' }),
    ]);
    expect(again.delivered).toEqual([]);
  });

  it("an attacker's first sign-in cannot teach its country to its own verdict, even in one batch with a second", async () => {
    const { detector } = detectorWith({ geo: async () => GEO });
    await detector.process(learning());
    const out = await detector.process([signIn(21.5, '198.51.100.23'), signIn(21, '198.51.100.23')]);
    // The earlier of the two fires; the later sees the earlier's sighting (strictly before it) and does not.
    const fired = out.delivered.filter((f) => f.ruleId === 'signin.new-country');
    expect(fired).toHaveLength(1);
    expect(fired[0]?.firstSeen).toBe(new Date(T0 + 21 * DAY).toISOString());
  });

  it('asks for the IP database only for batches with a sign-in', async () => {
    let loads = 0;
    const { detector } = detectorWith({
      geo: async () => {
        loads++;
        return GEO;
      },
    });
    const stop = fromRecord(fixture('cloudtrail/StopLogging'));
    if (!stop.ok) throw new Error(stop.error);
    await detector.process([stop.event]);
    expect(loads).toBe(0);
    await detector.process([signIn(1, '192.0.2.10')]);
    expect(loads).toBe(1);
  });

  it('an IP database that cannot load fails the sign-in events for retry, not the others', async () => {
    const { detector } = detectorWith({
      geo: async () => {
        throw new Error('ENOENT geo-whois-asn-country.mmdb');
      },
    });
    const stop = fromRecord(fixture('cloudtrail/StopLogging'));
    if (!stop.ok) throw new Error(stop.error);
    const login = signIn(1, '192.0.2.10');
    const out = await detector.process([stop.event, login]);
    expect(out.failures).toEqual([
      {
        stage: 'intel',
        eventIds: [login.id],
        error: 'IP database could not be loaded: ENOENT geo-whois-asn-country.mmdb',
      },
    ]);
    expect(out.delivered.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped']);
  });

  it('a listed address pages with the list named; an unloadable list retries instead of reading as "not listed"', async () => {
    const list = fakeAnonymisers();
    const loaded = list.kind === 'loaded' ? list.list : undefined;
    if (loaded === undefined) throw new Error('test list did not load');
    const ok = detectorWith({ geo: async () => GEO, anonymisers: { source: loaded.source, load: async () => loaded } });
    const out = await ok.detector.process([signIn(1, '198.51.100.23')]);
    const page = out.delivered.find((f) => f.ruleId === 'signin.anonymiser');
    expect(page?.severity).toBe('high');
    expect(page?.details?.[0]).toBe(`ON anonymiser list tor-exits (${loaded.source}) as 198.51.100.23`);

    const broken = detectorWith({
      geo: async () => GEO,
      anonymisers: {
        source: 's3://intel/tor.txt',
        load: async () => {
          throw new Error('AccessDenied');
        },
      },
    });
    const login = signIn(1, '198.51.100.23');
    const retried = await broken.detector.process([login]);
    expect(retried.failures).toEqual([
      {
        stage: 'intel',
        eventIds: [login.id],
        error: 'anonymiser list s3://intel/tor.txt could not be loaded: AccessDenied',
      },
    ]);
    expect(retried.delivered.map((f) => f.ruleId)).not.toContain('signin.anonymiser');
  });

  it('without an IP database the place rules say nothing (new-source still judges addresses)', async () => {
    const { detector } = detectorWith({});
    await detector.process(learning());
    const out = await detector.process([signIn(21, '198.51.100.23')]);
    expect(out.delivered.map((f) => f.ruleId)).toEqual(['signin.new-source']);
  });
});
