import { describe, expect, it } from 'vitest';
import {
  describeOutsideKeys,
  keyPlacement,
  kmsKeyAccount,
  kmsKeyRefsIn,
  outsideKeys,
} from '../../../rules/core/kms-key.ts';

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

describe('kmsKeyRefsIn', () => {
  const key = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it.each([
    ['RDS / EC2 (kmsKeyId)', { sourceDBSnapshotIdentifier: 's', kmsKeyId: key }],
    ['EC2 wrapped request (KmsKeyId)', { ModifyEbsDefaultKmsKeyIdRequest: { KmsKeyId: key } }],
    [
      'S3 bucket encryption, one rule',
      { ServerSideEncryptionConfiguration: { Rule: { ApplyServerSideEncryptionByDefault: { KMSMasterKeyID: key } } } },
    ],
    [
      'S3 bucket encryption, a list of rules',
      {
        ServerSideEncryptionConfiguration: { Rule: [{ ApplyServerSideEncryptionByDefault: { KMSMasterKeyID: key } }] },
      },
    ],
    ['DynamoDB (kMSMasterKeyId)', { sSESpecification: { enabled: true, sSEType: 'KMS', kMSMasterKeyId: key } }],
    ['S3 object header', { 'x-amz-server-side-encryption-aws-kms-key-id': key }],
    ['EC2 item lists', { blockDeviceMapping: { items: [{ ebs: { kmsKeyId: key } }] } }],
  ])('%s', (_name, value) => {
    expect(kmsKeyRefsIn(value)).toEqual([key]);
  });
  it('ignores other fields, blanks, non-strings and absurd depth', () => {
    expect(kmsKeyRefsIn({ keyId: key, kmsKeyId: '', KmsKeyId: 42, description: key })).toEqual([]);
    let deep: Record<string, unknown> = { kmsKeyId: key };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    expect(kmsKeyRefsIn(deep)).toEqual([]);
    expect(kmsKeyRefsIn(null)).toEqual([]);
    expect(kmsKeyRefsIn('text')).toEqual([]);
  });
});
