import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DigestInput, TrailPublicKey } from '../../../rules/core/trail-digest.ts';
import {
  chainId,
  chainMismatch,
  digestFolder,
  digestKey,
  formatStamp,
  metadataValue,
  parseDigestDocument,
  parseDigestKey,
  parsePublicKeyList,
  parseStamp,
  signingString,
  validateDigest,
} from '../../../rules/core/trail-digest.ts';

const KEY =
  'logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20261102T150131Z.json.gz';
const END = Date.UTC(2026, 10, 2, 15, 1, 31);

describe('stamps', () => {
  it.each<[string, number | undefined]>([
    ['20261102T150131Z', END],
    ['20261102T150131', undefined],
    ['20261102T150131Z.json', undefined],
    ['x20261102T150131Z', undefined],
    ['2026-11-02T15:01:31Z', undefined],
  ])('parseStamp(%s)', (stamp, ms) => {
    expect(parseStamp(stamp)).toBe(ms);
  });
  it('formats the digest end time as CloudTrail names it', () => {
    expect(formatStamp(END)).toBe('20261102T150131Z');
    expect(formatStamp(END + 999)).toBe('20261102T150131Z');
  });
});

describe('parseDigestKey / digestKey / chainId', () => {
  const parts = {
    prefix: 'logs',
    organizationId: 'o-abcdefghij',
    account: '111122223333',
    region: 'eu-west-1',
    trailName: 'org-trail',
    homeRegion: 'us-east-1',
    stamp: '20261102T150131Z',
    endMs: END,
    backfill: false,
  };

  it('reads every part of an organisation trail digest key, and writes the same key back', () => {
    expect(parseDigestKey(KEY)).toEqual(parts);
    expect(digestKey(parts)).toBe(KEY);
    expect(chainId(parts)).toBe(
      'logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/eu-west-1/org-trail_us-east-1',
    );
  });

  it('reads an account trail digest with no prefix, and a backfill digest apart from the chain', () => {
    const plain =
      'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20261102T150131Z_backfill.json.gz';
    const p = parseDigestKey(plain);
    // Strict: an account trail's parts carry no organizationId at all, not one set to undefined.
    expect(p).toStrictEqual({
      prefix: '',
      account: '111122223333',
      region: 'eu-west-1',
      trailName: 't',
      homeRegion: 'eu-west-1',
      stamp: '20261102T150131Z',
      endMs: END,
      backfill: true,
    });
    if (p === undefined) throw new Error('key');
    expect(digestKey(p)).toBe(plain);
    expect(digestFolder(p)).toBe('AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/');
    expect(chainId(p)).toBe('AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/t_eu-west-1_backfill');
  });

  it.each([
    ['another account in the name', KEY.replace('/111122223333_CloudTrail', '/444455556666_CloudTrail')],
    ['another region in the name', KEY.replace('Digest_eu-west-1_org', 'Digest_eu-west-2_org')],
    ['a folder day that is not the stamp day', KEY.replace('/2026/11/02/', '/2026/11/03/')],
    ['a stamp that is no time', KEY.replace('20261102T150131Z', '20261102T15013xZ')],
    ['a log file, not a digest', KEY.replace('.json.gz', '.json')],
  ])('refuses %s', (_name, key) => {
    expect(parseDigestKey(key)).toBeUndefined();
  });
});

describe('parseDigestDocument', () => {
  const doc = {
    digestStartTime: '2026-11-02T14:01:31Z',
    digestEndTime: '2026-11-02T15:01:31Z',
    digestS3Bucket: 'trail-bucket',
    digestS3Object: KEY,
    digestPublicKeyFingerprint: 'abc',
    previousDigestSignature: null,
    logFiles: [{ s3Bucket: 'b', s3Object: 'k', hashValue: 'h', hashAlgorithm: 'SHA-256' }],
  };
  const bytes = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

  it('reads a digest and fills the previous-digest fields a first digest leaves out', () => {
    expect(parseDigestDocument(bytes(doc))).toEqual({
      ok: true,
      digest: { ...doc, previousDigestS3Bucket: null, previousDigestS3Object: null, previousDigestHashValue: null },
    });
    const { logFiles: _omitted, ...noFiles } = doc;
    expect(parseDigestDocument(bytes(noFiles))).toMatchObject({ ok: true, digest: { logFiles: [] } });
  });

  it.each<[string, unknown, string]>([
    ['not JSON', '{', 'not JSON'],
    ['a list', '[]', 'not an object'],
    ['null', 'null', 'not an object'],
    ['a number', '5', 'not an object'],
    ['a string', '"digest"', 'not an object'],
    [
      'no fingerprint',
      { ...doc, digestPublicKeyFingerprint: undefined },
      'digestPublicKeyFingerprint missing or malformed',
    ],
    ['a numeric bucket', { ...doc, digestS3Bucket: 1 }, 'digestS3Bucket missing or malformed'],
    [
      'no previous signature at all',
      { ...doc, previousDigestSignature: undefined },
      'previousDigestSignature missing or malformed',
    ],
    ['an end time that is no time', { ...doc, digestEndTime: 'later' }, 'digestEndTime missing or malformed'],
    ['a numeric start time', { ...doc, digestStartTime: 2026 }, 'digestStartTime missing or malformed'],
    ['log files not a list', { ...doc, logFiles: {} }, 'logFiles malformed'],
    [
      'a log file without a hash',
      { ...doc, logFiles: [{ s3Bucket: 'b', s3Object: 'k', hashAlgorithm: 'SHA-256' }] },
      'logFiles malformed',
    ],
    ['a log file that is null', { ...doc, logFiles: [null] }, 'logFiles malformed'],
    [
      'a log file without a bucket',
      { ...doc, logFiles: [{ s3Object: 'k', hashValue: 'h', hashAlgorithm: 'SHA-256' }] },
      'logFiles malformed',
    ],
    [
      'a log file without a key',
      { ...doc, logFiles: [{ s3Bucket: 'b', hashValue: 'h', hashAlgorithm: 'SHA-256' }] },
      'logFiles malformed',
    ],
    [
      'a log file without a hash algorithm',
      { ...doc, logFiles: [{ s3Bucket: 'b', s3Object: 'k', hashValue: 'h' }] },
      'logFiles malformed',
    ],
    ['a numeric previous hash', { ...doc, previousDigestHashValue: 5 }, 'previousDigestHashValue malformed'],
  ])('refuses %s', (_name, value, error) => {
    expect(parseDigestDocument(bytes(value))).toEqual({ ok: false, error });
  });
});

describe('metadataValue', () => {
  it('reads user metadata with or without its prefix, in any case', () => {
    expect(metadataValue({ signature: 'ab' }, 'signature')).toBe('ab');
    expect(metadataValue({ 'X-Amz-Meta-Signature': 'cd' }, 'signature')).toBe('cd');
    expect(metadataValue({ 'signature-algorithm': 'x' }, 'signature')).toBeUndefined();
  });
});

describe('validateDigest', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  const fingerprint = createHash('md5').update(der).digest('hex');
  const keys = new Map<string, TrailPublicKey>([[fingerprint, { fingerprint, der }]]);
  const doc = {
    digestStartTime: '2026-11-02T14:01:31Z',
    digestEndTime: '2026-11-02T15:01:31Z',
    digestS3Bucket: 'trail-bucket',
    digestS3Object: KEY,
    digestPublicKeyFingerprint: fingerprint,
    previousDigestSignature: 'aa',
    previousDigestHashValue: 'bb',
    previousDigestS3Bucket: 'trail-bucket',
    previousDigestS3Object: 'prev',
    logFiles: [],
  };
  const signed = (d: Record<string, unknown> = doc): DigestInput => {
    const uncompressed = new TextEncoder().encode(JSON.stringify(d));
    const parsed = parseDigestDocument(uncompressed);
    if (!parsed.ok) throw new Error(parsed.error);
    const signature = sign('sha256', Buffer.from(signingString(parsed.digest, uncompressed)), privateKey).toString(
      'hex',
    );
    return {
      bucket: 'trail-bucket',
      key: KEY,
      uncompressed,
      metadata: { signature, 'signature-algorithm': 'SHA256withRSA' },
      keys,
    };
  };

  it('accepts a digest signed over its signing string, with its hash and lower-case signature', () => {
    const input = signed();
    const upper = {
      ...input,
      metadata: { ...input.metadata, signature: (input.metadata.signature ?? '').toUpperCase() },
    };
    expect(validateDigest(upper)).toMatchObject({
      ok: true,
      sha256: createHash('sha256').update(input.uncompressed).digest('hex'),
      signature: input.metadata.signature,
    });
  });

  it('signs end time, location, hash and the previous signature (or null), one per line', () => {
    const u = new TextEncoder().encode('x');
    expect(signingString({ ...doc, previousDigestSignature: null }, u)).toBe(
      `2026-11-02T15:01:31Z\ntrail-bucket/${KEY}\n${createHash('sha256').update(u).digest('hex')}\nnull`,
    );
    expect(
      signingString({ ...doc, previousDigestSignature: 'ab12' }, u)
        .split('\n')
        .at(-1),
    ).toBe('ab12');
  });

  it.each<[string, (i: DigestInput) => DigestInput, unknown]>([
    [
      'a damaged document',
      (i) => ({ ...i, uncompressed: new TextEncoder().encode('{') }),
      { kind: 'digest-invalid', reason: 'format', detail: 'not JSON' },
    ],
    [
      'no signature',
      (i) => ({ ...i, metadata: { 'signature-algorithm': 'SHA256withRSA' } }),
      { kind: 'digest-invalid', reason: 'unsigned', detail: 'no signature in the object metadata' },
    ],
    [
      'no algorithm',
      (i) => ({ ...i, metadata: { signature: i.metadata.signature ?? '' } }),
      { kind: 'digest-invalid', reason: 'unsigned', detail: 'no signature in the object metadata' },
    ],
    [
      'a copy in another bucket',
      (i) => ({ ...i, bucket: 'other' }),
      { kind: 'digest-moved', claimedBucket: 'trail-bucket', claimedKey: KEY },
    ],
    [
      'a copy under another key',
      (i) => ({ ...i, key: 'elsewhere.json.gz' }),
      { kind: 'digest-moved', claimedBucket: 'trail-bucket', claimedKey: KEY },
    ],
    ['an unknown key', (i) => ({ ...i, keys: new Map() }), { kind: 'unknown-key', fingerprint }],
    [
      'another algorithm',
      (i) => ({ ...i, metadata: { ...i.metadata, 'signature-algorithm': 'SHA1withRSA' } }),
      { kind: 'digest-invalid', reason: 'algorithm', detail: 'signature algorithm SHA1withRSA' },
    ],
    [
      'a signature that is not hex',
      (i) => ({ ...i, metadata: { ...i.metadata, signature: 'zz' } }),
      { kind: 'digest-invalid', reason: 'signature', detail: 'signature is not hex' },
    ],
    [
      'a signature of odd length',
      (i) => ({ ...i, metadata: { ...i.metadata, signature: 'abc' } }),
      { kind: 'digest-invalid', reason: 'signature', detail: 'signature is not hex' },
    ],
    [
      'a key that does not load',
      (i) => ({ ...i, keys: new Map([[fingerprint, { fingerprint, der: new Uint8Array([1, 2, 3]) }]]) }),
      {
        kind: 'digest-invalid',
        reason: 'key-unusable',
        detail: `unable to load PKCS #1 key with fingerprint ${fingerprint}`,
      },
    ],
    [
      'a signature of other bytes',
      // The first byte flipped (not set to 00: one signature in 256 already starts with 00, and the key is random).
      (i) => {
        const sig = i.metadata.signature ?? '';
        const flipped = (Number.parseInt(sig.slice(0, 2), 16) ^ 0xff).toString(16).padStart(2, '0');
        return { ...i, metadata: { ...i.metadata, signature: `${flipped}${sig.slice(2)}` } };
      },
      { kind: 'digest-invalid', reason: 'signature', detail: 'signature verification failed' },
    ],
  ])('refuses %s', (_name, change, problem) => {
    const verdict = validateDigest(change(signed()));
    expect(verdict).toMatchObject({ ok: false, problem });
    expect(verdict.ok === false && verdict.problem).toEqual(problem);
  });

  it('refuses a digest edited after signing', () => {
    const input = signed();
    const edited = new TextEncoder().encode(
      JSON.stringify({ ...doc, logFiles: [] }).replace('"logFiles":[]', '"logFiles":[ ]'),
    );
    expect(validateDigest({ ...input, uncompressed: edited })).toMatchObject({
      ok: false,
      problem: { reason: 'signature', detail: 'signature verification failed' },
    });
  });
});

describe('chainMismatch', () => {
  const previous = { signature: 'aabb', sha256: 'ccdd' };
  it.each<
    [string, { previousDigestSignature: string | null; previousDigestHashValue: string | null }, string | undefined]
  >([
    [
      'the same signature and hash, any case',
      { previousDigestSignature: 'AABB', previousDigestHashValue: 'CCDD' },
      undefined,
    ],
    ['no hash recorded', { previousDigestSignature: 'aabb', previousDigestHashValue: null }, undefined],
    [
      'another signature',
      { previousDigestSignature: 'aabc', previousDigestHashValue: 'ccdd' },
      'previousDigestSignature is not the signature of the previous digest',
    ],
    [
      'no signature',
      { previousDigestSignature: null, previousDigestHashValue: 'ccdd' },
      'previousDigestSignature is not the signature of the previous digest',
    ],
    [
      'another hash',
      { previousDigestSignature: 'aabb', previousDigestHashValue: 'ccde' },
      'previousDigestHashValue is not the SHA-256 of the previous digest',
    ],
  ])('%s', (_name, digest, mismatch) => {
    expect(chainMismatch(digest, previous)).toBe(mismatch);
  });

  it('a digest naming no previous signature chains to no digest, not even one with an empty signature', () => {
    expect(
      chainMismatch({ previousDigestSignature: null, previousDigestHashValue: null }, { signature: '', sha256: '' }),
    ).toBe('previousDigestSignature is not the signature of the previous digest');
  });
});

describe('parsePublicKeyList', () => {
  it('reads each key with its validity when given', () => {
    expect(
      parsePublicKeyList({
        PublicKeyList: [
          {
            Value: 'AQID',
            Fingerprint: 'f1',
            ValidityStartTime: '2026-01-01T00:00:00Z',
            ValidityEndTime: '2027-01-01T00:00:00Z',
          },
          { Value: 'BAU=', Fingerprint: 'f2', ValidityStartTime: 'soon', ValidityEndTime: 5 },
          // Date.parse(5) is a time in 2001: a non-string validity is ignored, never coerced.
          { Value: 'Bg==', Fingerprint: 'f3', ValidityStartTime: 5, ValidityEndTime: 'later' },
        ],
      }),
    ).toEqual({
      ok: true,
      keys: [
        {
          fingerprint: 'f1',
          der: Buffer.from([1, 2, 3]),
          validityStartMs: Date.parse('2026-01-01T00:00:00Z'),
          validityEndMs: Date.parse('2027-01-01T00:00:00Z'),
        },
        { fingerprint: 'f2', der: Buffer.from([4, 5]) },
        { fingerprint: 'f3', der: Buffer.from([6]) },
      ],
    });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'expected {"PublicKeyList": [...]}'],
    ['no list', { PublicKeyList: {} }, 'expected {"PublicKeyList": [...]}'],
    [
      'an entry with no value',
      { PublicKeyList: [{ Fingerprint: 'f' }] },
      'PublicKeyList[0] needs Value and Fingerprint strings',
    ],
    [
      'an entry with no fingerprint',
      { PublicKeyList: [{ Value: 'AQID', Fingerprint: 'f' }, { Value: 'AQID' }] },
      'PublicKeyList[1] needs Value and Fingerprint strings',
    ],
    ['a null entry', { PublicKeyList: [null] }, 'PublicKeyList[0] needs Value and Fingerprint strings'],
    ['an empty value', { PublicKeyList: [{ Value: '', Fingerprint: 'f' }] }, 'PublicKeyList[0].Value is not base64'],
  ])('refuses %s', (_name, json, error) => {
    expect(parsePublicKeyList(json)).toEqual({ ok: false, error });
  });
});
