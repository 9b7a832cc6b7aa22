import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { TrailPublicKey } from '../../../rules/core/trail-digest.ts';
import { parseDigestDocument, signingString, validateDigest } from '../../../rules/core/trail-digest.ts';

/**
 * OpenSSL may refuse a key or signature it loaded a moment ago (an RSA key it will not verify with): the
 * digest is then refused as unverified, never accepted and never a crash. `verify` is replaced for the one
 * signature that makes it throw; every other call is the real one.
 */
const THROWING = 'ee'.repeat(64);
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    verify: (...args: Parameters<typeof real.verify>) => {
      const signature = args[3];
      if (Buffer.isBuffer(signature) && signature.toString('hex') === THROWING) throw new Error('verify failed');
      return real.verify(...args);
    },
  };
});

describe('validateDigest when verify throws', () => {
  it('refuses the digest as a signature failure', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const der = publicKey.export({ format: 'der', type: 'pkcs1' });
    const fingerprint = createHash('md5').update(der).digest('hex');
    const keys = new Map<string, TrailPublicKey>([[fingerprint, { fingerprint, der }]]);
    const key =
      'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20261102T150131Z.json.gz';
    const uncompressed = new TextEncoder().encode(
      JSON.stringify({
        digestStartTime: '2026-11-02T14:01:31Z',
        digestEndTime: '2026-11-02T15:01:31Z',
        digestS3Bucket: 'trail-bucket',
        digestS3Object: key,
        digestPublicKeyFingerprint: fingerprint,
        previousDigestSignature: null,
        logFiles: [],
      }),
    );
    const parsed = parseDigestDocument(uncompressed);
    if (!parsed.ok) throw new Error(parsed.error);
    const input = {
      bucket: 'trail-bucket',
      key,
      uncompressed,
      metadata: { signature: THROWING, 'signature-algorithm': 'SHA256withRSA' },
      keys,
    };
    expect(validateDigest(input)).toMatchObject({
      ok: false,
      problem: { kind: 'digest-invalid', reason: 'signature', detail: 'signature verification failed' },
    });
    // The same digest with its real signature passes: only the throwing call is refused.
    const good = sign('sha256', Buffer.from(signingString(parsed.digest, uncompressed)), privateKey).toString('hex');
    expect(validateDigest({ ...input, metadata: { ...input.metadata, signature: good } }).ok).toBe(true);
  });
});
