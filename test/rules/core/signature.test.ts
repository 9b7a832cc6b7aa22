import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeySigner,
  KEYS_PREFIX,
  keyFingerprint,
  parsePublicKey,
  publicKeyKey,
  publicKeyPem,
  SIGNING_ALGORITHM,
  verifySignature,
} from '../../../rules/core/signature.ts';
import { newSigner } from '../../support/signing.ts';

type Keys = Awaited<ReturnType<typeof newSigner>>;
let keys: Keys;
beforeAll(async () => {
  keys = await newSigner();
});
const message = Buffer.from('{"schema":"trailwarden.digest/v2"}\n');
const signed = async () => Buffer.from((await keys.signer.sign(message)).signature).toString('base64');

describe('public keys', () => {
  it('names a key by the SHA-256 of its SPKI DER, kept under keys/', () => {
    expect(keys.fingerprint).toBe(createHash('sha256').update(keys.der).digest('hex'));
    expect(keyFingerprint(keys.der)).toBe(keys.fingerprint);
    expect(publicKeyKey(keys.fingerprint)).toBe(`${KEYS_PREFIX}${keys.fingerprint}.pem`);
    expect(KEYS_PREFIX).toBe('keys/');
  });

  it('reads the same P-256 key from PEM text, PEM bytes and SPKI DER', () => {
    const pem = publicKeyPem(keys.der);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const expected = { ok: true, der: new Uint8Array(keys.der), fingerprint: keys.fingerprint };
    expect(parsePublicKey(pem)).toEqual(expected);
    expect(parsePublicKey(Buffer.from(pem))).toEqual(expected);
    expect(parsePublicKey(keys.der)).toEqual(expected);
  });

  it('refuses what is not a public key, with the parser’s reason', () => {
    for (const bad of [
      'not a key',
      new Uint8Array([1, 2, 3]),
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
    ]) {
      const parsed = parsePublicKey(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/^not a public key \(PEM or SPKI DER\): \S/);
    }
  });

  it('refuses public keys of another type or curve', () => {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['publicKey']) =>
      key.export({ format: 'pem', type: 'spki' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(parsePublicKey(pem(p384))).toEqual({ ok: false, error: 'not an EC P-256 key (ec)' });
    expect(parsePublicKey(pem(ed))).toEqual({ ok: false, error: 'not an EC P-256 key (ed25519)' });
    expect(parsePublicKey(pem(rsa))).toEqual({ ok: false, error: 'not an EC P-256 key (rsa)' });
  });
});

describe('verifySignature', () => {
  it('accepts the signer’s ECDSA/SHA-256 signature of the exact message and nothing else', async () => {
    const sig = await signed();
    expect(verifySignature(message, sig, SIGNING_ALGORITHM, keys.der)).toBe(true);
    expect(verifySignature(Buffer.from(`${message} `), sig, SIGNING_ALGORITHM, keys.der)).toBe(false);
    const other = await newSigner();
    expect(verifySignature(message, sig, SIGNING_ALGORITHM, other.der)).toBe(false);
  });

  it('refuses another algorithm name even when the signature is good', async () => {
    const sig = await signed();
    expect(verifySignature(message, sig, 'ECDSA_SHA_384', keys.der)).toBe(false);
    expect(verifySignature(message, sig, 'ecdsa_sha_256', keys.der)).toBe(false);
  });

  it('refuses a good signature with anything but base64 around it (Node’s decoder would skip it)', async () => {
    const sig = await signed();
    expect(verifySignature(message, `!${sig}`, SIGNING_ALGORITHM, keys.der)).toBe(false);
    expect(verifySignature(message, `${sig}!`, SIGNING_ALGORITHM, keys.der)).toBe(false);
    expect(verifySignature(message, `${sig}\n`, SIGNING_ALGORITHM, keys.der)).toBe(false);
    expect(verifySignature(message, '', SIGNING_ALGORITHM, keys.der)).toBe(false);
  });

  it('never throws: a key that is not a key is just a failed verification', async () => {
    const sig = await signed();
    expect(verifySignature(message, sig, SIGNING_ALGORITHM, new Uint8Array([1, 2, 3]))).toBe(false);
    expect(verifySignature(message, 'AAAA', SIGNING_ALGORITHM, keys.der)).toBe(false);
  });
});

describe('createKeySigner', () => {
  it('signs with a PEM private key, names itself by fingerprint, and its signatures verify', async () => {
    const signer = createKeySigner(keys.privatePem);
    expect(await signer.publicKey()).toEqual(new Uint8Array(keys.der));
    const result = await signer.sign(message);
    expect(result.algorithm).toBe('ECDSA_SHA_256');
    expect(result.keyId).toBe(`local:${keys.fingerprint.slice(0, 16)}`);
    expect(result.signature).toBeInstanceOf(Uint8Array);
    expect(
      verifySignature(message, Buffer.from(result.signature).toString('base64'), SIGNING_ALGORITHM, keys.der),
    ).toBe(true);
  });

  it('refuses a private key of another type or curve', () => {
    expect(() => createKeySigner(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toThrow(
      'signing key is not an EC P-256 private key (ec)',
    );
    expect(() => createKeySigner(generateKeyPairSync('ed25519').privateKey)).toThrow(
      'signing key is not an EC P-256 private key (ed25519)',
    );
  });
});
