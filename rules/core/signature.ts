import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { sha256 } from './evidence.ts';

/**
 * Digest signatures (issue 16 §4). A hash chain alone proves only that the digests agree with each other: anyone
 * who can write the bucket can edit the last digest and re-serialise it, or append a digest of their own. Each
 * digest is therefore signed with an asymmetric key whose private half only the digest writer can use (a KMS key
 * whose policy grants `kms:Sign` to the digest function alone, or a local key kept outside the evidence), and
 * `verify` checks every signature against a public key the auditor holds.
 *
 * ECDSA over NIST P-256 with SHA-256 (KMS `ECC_NIST_P256` / `ECDSA_SHA_256`); signatures are DER-encoded
 * (ANSI X9.62), which is both what KMS returns and node:crypto's default. Pure: no SDK, no I/O.
 */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';
export type SigningAlgorithm = typeof SIGNING_ALGORITHM;

/** Where public keys are kept beside the evidence: `keys/<sha256 of the SPKI DER>.pem`. */
export const KEYS_PREFIX = 'keys/';

export interface SignatureResult {
  readonly algorithm: SigningAlgorithm;
  /** The key that signed (a KMS key ARN, or `local:<fingerprint prefix>`). */
  readonly keyId: string;
  /** DER-encoded ECDSA signature. */
  readonly signature: Uint8Array;
}

/** The port the digest writers sign through: the digest function's KMS key, or the CLI's local key. */
export interface DigestSigner {
  /** The public half as SPKI DER (what `GetPublicKey` returns), kept with the evidence. */
  publicKey(): Promise<Uint8Array>;
  /** Signs `message` (the digest's exact bytes) with SHA-256 / ECDSA. */
  sign(message: Uint8Array): Promise<SignatureResult>;
}

/** A public key's identity: the SHA-256 (hex) of its SPKI DER encoding. */
export const keyFingerprint = (spkiDer: Uint8Array): string => sha256(spkiDer).hex;

export const publicKeyKey = (fingerprint: string): string => `${KEYS_PREFIX}${fingerprint}.pem`;

export const publicKeyPem = (spkiDer: Uint8Array): string =>
  createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString();

export type ParsedPublicKey =
  | { readonly ok: true; readonly der: Uint8Array; readonly fingerprint: string }
  | { readonly ok: false; readonly error: string };

/** A P-256 public key from PEM (`-----BEGIN PUBLIC KEY-----`) or SPKI DER bytes; anything else is an error. */
export const parsePublicKey = (bytes: string | Uint8Array): ParsedPublicKey => {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: both branches make the same Buffer; the test only picks Buffer.from's overload for TypeScript
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  let key: KeyObject;
  try {
    key = buffer.toString('utf8').includes('-----BEGIN')
      ? createPublicKey({ key: buffer.toString('utf8'), format: 'pem' })
      : createPublicKey({ key: buffer, format: 'der', type: 'spki' });
  } catch (err) {
    return { ok: false, error: `not a public key (PEM or SPKI DER): ${err instanceof Error ? err.message : err}` };
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return { ok: false, error: `not an EC P-256 key (${key.asymmetricKeyType ?? 'unknown type'})` };
  }
  const der = new Uint8Array(key.export({ format: 'der', type: 'spki' }));
  return { ok: true, der, fingerprint: keyFingerprint(der) };
};

/** True when `signature` (DER, base64) is `publicKey`'s ECDSA/SHA-256 signature of `message`. Never throws. */
export const verifySignature = (
  message: Uint8Array,
  signatureBase64: string,
  algorithm: string,
  publicKeyDer: Uint8Array,
): boolean => {
  if (algorithm !== SIGNING_ALGORITHM) return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
    return verify('sha256', message, key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
};

/**
 * A signer over a private key held in memory (the CLI's local key, and tests). The key never goes into the
 * evidence: whoever holds it can sign digests.
 */
export const createKeySigner = (privateKey: KeyObject | string): DigestSigner => {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`signing key is not an EC P-256 private key (${key.asymmetricKeyType ?? 'unknown type'})`);
  }
  const der = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  const keyId = `local:${keyFingerprint(der).slice(0, 16)}`;
  return {
    publicKey: async () => der,
    sign: async (message) => ({
      algorithm: SIGNING_ALGORITHM,
      keyId,
      signature: new Uint8Array(sign('sha256', message, key)),
    }),
  };
};
