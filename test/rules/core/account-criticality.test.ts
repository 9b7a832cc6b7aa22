import { ListTagsForResourceCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrganizationsAccountCriticality } from '../../../functions/shared/adapters/organizations-account-tags.ts';
import {
  accountLevels,
  cachedAccountCriticality,
  criticalityFromTags,
  mergeAccountCriticality,
} from '../../../rules/core/account-criticality.ts';
import { DEFAULT_DETECTION_CONFIG, resolveCriticality } from '../../../rules/core/config.ts';
import type { AccountCriticalitySource } from '../../../rules/core/ports.ts';

const orgs = mockClient(OrganizationsClient);
afterEach(() => orgs.reset());

const config = {
  ...DEFAULT_DETECTION_CONFIG,
  criticality: { ...DEFAULT_DETECTION_CONFIG.criticality, accounts: { '111122223333': 'low' as const } },
};

describe('account criticality from Organizations tags', () => {
  it('reads the criticality tag, any case, and ignores values that are not a level', () => {
    expect(criticalityFromTags([{ Key: 'Criticality', Value: 'HIGH' }])).toBe('high');
    expect(criticalityFromTags([{ Key: 'criticality', Value: 'extreme' }])).toBeUndefined();
    expect(criticalityFromTags([{ Key: 'owner', Value: 'high' }])).toBeUndefined();
  });

  it('merges under the config: an account the config names keeps its level', async () => {
    const tags: AccountCriticalitySource = { criticalityOf: async () => 'high' };
    const asked: string[] = [];
    const spy: AccountCriticalitySource = {
      criticalityOf: async (a) => {
        asked.push(a);
        return tags.criticalityOf(a);
      },
    };
    const { levels, errors } = await accountLevels(config, ['111122223333', '444455556666', '444455556666'], spy);
    expect(asked).toEqual(['444455556666']);
    expect(errors).toEqual([]);
    const merged = mergeAccountCriticality(config, { ...levels, '111122223333': 'high' });
    expect(resolveCriticality(merged.criticality, '444455556666', [])).toBe('high');
    expect(resolveCriticality(merged.criticality, '111122223333', [])).toBe('low');
    expect(resolveCriticality(merged.criticality, '555566667777', [])).toBe('medium');
  });

  it('returns a failed read instead of throwing: the batch goes on with the configured levels', async () => {
    const failing: AccountCriticalitySource = {
      criticalityOf: async () => {
        throw new Error('TooManyRequestsException');
      },
    };
    expect(await accountLevels(config, ['444455556666'], failing)).toEqual({
      levels: {},
      errors: ['444455556666: TooManyRequestsException'],
    });
  });

  it('asks Organizations once per account per TTL, with the exact input, every page', async () => {
    orgs.on(ListTagsForResourceCommand, { ResourceId: '444455556666' }).resolves({
      Tags: [{ Key: 'team', Value: 'payments' }],
      NextToken: 'p2',
    });
    orgs
      .on(ListTagsForResourceCommand, { ResourceId: '444455556666', NextToken: 'p2' })
      .resolves({ Tags: [{ Key: 'criticality', Value: 'high' }] });
    const clock = { t: 0 };
    const source = cachedAccountCriticality(
      createOrganizationsAccountCriticality(new OrganizationsClient({ region: 'us-east-1' })),
      { now: () => clock.t },
      60_000,
    );
    expect(await source.criticalityOf('444455556666')).toBe('high');
    expect(await source.criticalityOf('444455556666')).toBe('high');
    expect(orgs.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input)).toEqual([
      { ResourceId: '444455556666' },
      { ResourceId: '444455556666', NextToken: 'p2' },
    ]);
    clock.t = 60_001;
    await source.criticalityOf('444455556666');
    expect(orgs.commandCalls(ListTagsForResourceCommand)).toHaveLength(4);
  });
});
