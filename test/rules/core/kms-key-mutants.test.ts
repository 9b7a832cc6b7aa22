import { describe, expect, it } from 'vitest';
import { describeOutsideKeys, keyPlacement, kmsKeyRefsIn } from '../../../rules/core/kms-key.ts';

/** Edges the first suite left open (found by Stryker): padding, the depth bound, arrays, unreadable keys. */
const OWN = '111122223333';
const ORG = { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] };
const KEY = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** `value` wrapped in `levels` objects (`{ next: … }`) or arrays (`[…]`). */
const wrap = (value: unknown, levels: number, as: 'object' | 'array'): unknown => {
  let out = value;
  for (let i = 0; i < levels; i++) out = as === 'object' ? { next: out } : [out];
  return out;
};

describe('keyPlacement, padded references', () => {
  it('a bare id or alias with surrounding blanks is still the caller’s own key', () => {
    expect(keyPlacement('  alias/orders  ', OWN, ORG)).toEqual({ kind: 'own' });
    expect(keyPlacement('\t1234abcd-12ab-34cd-56ef-1234567890ab\n', OWN, ORG)).toEqual({ kind: 'own' });
  });
});

describe('kmsKeyRefsIn, values and depth', () => {
  it('trims the reference it reports and skips a value of blanks only', () => {
    expect(kmsKeyRefsIn({ kmsKeyId: `  ${KEY}\n` })).toEqual([KEY]);
    expect(kmsKeyRefsIn({ kmsKeyId: '   ', KmsKeyId: '\t' })).toEqual([]);
  });

  it.each(['object', 'array'] as const)('reads a key eight %s levels down and stops at nine', (as) => {
    expect(kmsKeyRefsIn(wrap({ kmsKeyId: KEY }, 8, as))).toEqual([KEY]);
    expect(kmsKeyRefsIn(wrap({ kmsKeyId: KEY }, 9, as))).toEqual([]);
  });
});

describe('describeOutsideKeys', () => {
  it('says the account is unknown when the reference names none', () => {
    expect(describeOutsideKeys(['alias/ransom'])).toEqual([
      'KMS key alias/ransom belongs to account unknown, outside the organisation',
    ]);
  });
});
