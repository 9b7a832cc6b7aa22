import { describe, expect, it } from 'vitest';
import { describeOutsideKeys, keyPlacement, kmsKeyAccount, outsideKeys } from '../../../rules/core/kms-key.ts';

const OWN = '111122223333';
const ORG = { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] };
const NO_ORG = { accounts: [] };

describe('kmsKeyAccount', () => {
  it.each([
    ['arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab', '999988887777'],
    ['arn:aws:kms:eu-west-1:999988887777:alias/ransom', '999988887777'],
    ['arn:aws-us-gov:kms:us-gov-west-1:999988887777:key/mrk-1234abcd12ab34cd56ef1234567890ab', '999988887777'],
    ['arn:aws-cn:kms:cn-north-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab', '999988887777'],
    ['  arn:aws:kms:eu-west-1:999988887777:key/abc  ', '999988887777'],
    ['1234abcd-12ab-34cd-56ef-1234567890ab', undefined],
    ['alias/aws/s3', undefined],
    ['arn:aws:s3:::bucket', undefined],
    ['arn:aws:kms:eu-west-1:9999:key/abc', undefined],
  ])('%s → %s', (ref, account) => {
    expect(kmsKeyAccount(ref)).toBe(account);
  });
});

describe('keyPlacement', () => {
  it.each([
    ['bare key id', '1234abcd-12ab-34cd-56ef-1234567890ab', ORG, 'own'],
    ['bare multi-region key id', 'mrk-1234abcd12ab34cd56ef1234567890ab', ORG, 'own'],
    ['alias', 'alias/orders', ORG, 'own'],
    ['AWS managed alias', 'alias/aws/ebs', ORG, 'own'],
    ['own key ARN', `arn:aws:kms:eu-west-1:${OWN}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, ORG, 'own'],
    [
      'member account key',
      'arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      ORG,
      'organization',
    ],
    ['foreign key', 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab', ORG, 'outside'],
    ['foreign alias ARN', 'arn:aws:kms:eu-west-1:999988887777:alias/backup', ORG, 'outside'],
    ['another account, no organisation configured', 'arn:aws:kms:eu-west-1:444455556666:key/abc', NO_ORG, 'outside'],
    ['not a key reference', 'HIDDEN_DUE_TO_SECURITY_REASONS', ORG, 'unknown'],
  ])('%s', (_name, ref, org, kind) => {
    expect(keyPlacement(ref, OWN, org).kind).toBe(kind);
  });
});

describe('outsideKeys', () => {
  const foreign = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it('keeps only outside keys, once each, ignoring blanks', () => {
    expect(
      outsideKeys(
        [undefined, '', foreign, 'alias/orders', foreign, 'arn:aws:kms:eu-west-1:444455556666:key/x'],
        OWN,
        ORG,
      ),
    ).toEqual([foreign]);
  });
  it('says which account owns the key', () => {
    expect(describeOutsideKeys([foreign])).toEqual([
      `KMS key ${foreign} belongs to account 999988887777, outside the organisation`,
    ]);
  });
});
