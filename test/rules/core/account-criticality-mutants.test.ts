import { describe, expect, it } from 'vitest';
import {
  accountLevels,
  cachedAccountCriticality,
  criticalityFromTags,
  mergeAccountCriticality,
} from '../../../rules/core/account-criticality.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import type { AccountCriticalitySource } from '../../../rules/core/ports.ts';
import type { Criticality } from '../../../rules/core/vocabulary.ts';

describe('criticalityFromTags edges', () => {
  it.each([
    [[{ Key: 'criticality', Value: ' Medium ' }], 'medium'],
    [[{ Key: 'CRITICALITY', Value: 'low' }], 'low'],
    [
      [
        { Key: 'criticality', Value: 'high' },
        { Key: 'criticality', Value: 'low' },
      ],
      'high',
    ],
    [[{ Value: 'high' }, { Key: 'criticality', Value: 'low' }], 'low'],
    [[{ Key: 'criticality' }], undefined],
    [[{ Key: 'criticality', Value: '' }], undefined],
    [[], undefined],
  ])('%j → %s', (tags, level) => {
    expect(criticalityFromTags(tags)).toBe(level);
  });
});

describe('mergeAccountCriticality edges', () => {
  const config = {
    ...DEFAULT_DETECTION_CONFIG,
    criticality: { ...DEFAULT_DETECTION_CONFIG.criticality, accounts: { '111122223333': 'low' as const } },
  };
  it('hands back the config itself when tags add nothing', () => {
    expect(mergeAccountCriticality(config, {})).toBe(config);
    expect(mergeAccountCriticality(config, { '111122223333': 'high' })).toBe(config);
  });
  it('adds only the accounts the config does not name, keeping the rest of the config', () => {
    const merged = mergeAccountCriticality(config, { '111122223333': 'high', '444455556666': 'high' });
    expect(merged.criticality).toEqual({
      ...config.criticality,
      accounts: { '111122223333': 'low', '444455556666': 'high' },
    });
    expect(merged.organization).toBe(config.organization);
  });
});

/** An inner source that answers from `answers` (an Error is thrown) and records each ask; `release` ends a wait. */
const scripted = (answers: (Criticality | undefined | Error)[]) => {
  const asked: string[] = [];
  const source: AccountCriticalitySource = {
    criticalityOf: async (account) => {
      asked.push(account);
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { source, asked };
};

describe('cachedAccountCriticality', () => {
  it('keeps an answer until exactly ttl has passed, then asks again', async () => {
    const { source, asked } = scripted(['high', 'low']);
    const clock = { t: 1_000 };
    const cached = cachedAccountCriticality(source, { now: () => clock.t }, 500);
    expect(await cached.criticalityOf('444455556666')).toBe('high');
    clock.t = 1_499;
    expect(await cached.criticalityOf('444455556666')).toBe('high');
    expect(asked).toHaveLength(1);
    clock.t = 1_500;
    expect(await cached.criticalityOf('444455556666')).toBe('low');
    expect(asked).toHaveLength(2);
  });

  it('caches a miss like an answer, per account', async () => {
    const { source, asked } = scripted([undefined, 'high']);
    const cached = cachedAccountCriticality(source, { now: () => 0 }, 60_000);
    expect(await cached.criticalityOf('444455556666')).toBeUndefined();
    expect(await cached.criticalityOf('444455556666')).toBeUndefined();
    expect(await cached.criticalityOf('555566667777')).toBe('high');
    expect(asked).toEqual(['444455556666', '555566667777']);
    expect(cached.size()).toBe(2);
  });

  it('asks once for concurrent reads of one account, and again once the read is settled and stale', async () => {
    const { source, asked } = scripted(['medium', 'low']);
    const clock = { t: 0 };
    const cached = cachedAccountCriticality(source, { now: () => clock.t }, 10);
    const both = await Promise.all([cached.criticalityOf('444455556666'), cached.criticalityOf('444455556666')]);
    expect(both).toEqual(['medium', 'medium']);
    expect(asked).toHaveLength(1);
    clock.t = 10;
    expect(await cached.criticalityOf('444455556666')).toBe('low');
    expect(asked).toHaveLength(2);
  });

  it('after a failure: the caller sees it, the last known level stands for retryMs, then it asks again', async () => {
    const { source, asked } = scripted(['high', new Error('TooManyRequestsException'), 'low']);
    const clock = { t: 0 };
    const cached = cachedAccountCriticality(source, { now: () => clock.t }, 100, 1_000);
    expect(await cached.criticalityOf('444455556666')).toBe('high');
    clock.t = 100;
    await expect(cached.criticalityOf('444455556666')).rejects.toThrow('TooManyRequestsException');
    clock.t = 1_099;
    expect(await cached.criticalityOf('444455556666')).toBe('high');
    expect(asked).toHaveLength(2);
    clock.t = 1_100;
    expect(await cached.criticalityOf('444455556666')).toBe('low');
    expect(asked).toHaveLength(3);
  });

  it('retries a failed first read after a minute by default', async () => {
    const { source, asked } = scripted([new Error('throttled'), 'high']);
    const clock = { t: 0 };
    const cached = cachedAccountCriticality(source, { now: () => clock.t }, 3_600_000);
    await expect(cached.criticalityOf('444455556666')).rejects.toThrow('throttled');
    clock.t = 59_999;
    expect(await cached.criticalityOf('444455556666')).toBeUndefined();
    clock.t = 60_000;
    expect(await cached.criticalityOf('444455556666')).toBe('high');
    expect(asked).toHaveLength(2);
  });
});

describe('accountLevels edges', () => {
  it('leaves out accounts without a level and words a non-Error failure', async () => {
    const source: AccountCriticalitySource = {
      criticalityOf: async (account) => {
        if (account === '555566667777') throw 'denied';
        return account === '444455556666' ? 'high' : undefined;
      },
    };
    const got = await accountLevels(DEFAULT_DETECTION_CONFIG, ['444455556666', '555566667777', '666677778888'], source);
    expect(got).toEqual({ levels: { '444455556666': 'high' }, errors: ['555566667777: denied'] });
    // An account without a tag is not in the result at all (merging would otherwise name it with no level).
    expect(Object.keys(got.levels)).toEqual(['444455556666']);
  });
});
