import { generateKeyPairSync } from 'node:crypto';
import type { DigestSigner } from '../../rules/core/signature.ts';
import { createKeySigner, keyFingerprint, publicKeyKey, publicKeyPem } from '../../rules/core/signature.ts';

/** A fresh EC P-256 signer, with its public key as a stored object would hold it. */
export const newSigner = async (): Promise<{
  readonly signer: DigestSigner;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly fingerprint: string;
  /** `keys/<fingerprint>.pem` and its bytes, as the digest writers keep it beside the evidence. */
  readonly stored: { readonly key: string; readonly bytes: string };
  readonly privatePem: string;
}> => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = createKeySigner(privateKey);
  const der = await signer.publicKey();
  const fingerprint = keyFingerprint(der);
  const pem = publicKeyPem(der);
  return {
    signer,
    der,
    pem,
    fingerprint,
    stored: { key: publicKeyKey(fingerprint), bytes: pem },
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
};
