import type { KMSClient } from '@aws-sdk/client-kms';
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { sha256 } from '../../../rules/core/evidence.ts';
import type { DigestSigner } from '../../../rules/core/ports.ts';
import { SIGNING_ALGORITHM } from '../../../rules/core/signature.ts';

/**
 * Signs digests with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) whose key policy grants `kms:Sign` to
 * the digest function alone. KMS takes at most 4096 bytes of raw message and a digest lists every object of an
 * hour, so the SHA-256 is computed here and sent as `MessageType: DIGEST`; the result is the same ECDSA/SHA-256
 * signature of the full bytes, which any holder of the public key checks with node:crypto (no KMS call).
 */
export const createKmsDigestSigner = (client: KMSClient, keyId: string): DigestSigner => {
  let publicKey: Promise<Uint8Array> | undefined;
  return {
    publicKey: () => {
      if (publicKey === undefined) {
        const fetched = client.send(new GetPublicKeyCommand({ KeyId: keyId })).then((out) => {
          if (out.PublicKey === undefined) throw new Error(`KMS returned no public key for ${keyId}`);
          if (out.KeySpec !== undefined && out.KeySpec !== 'ECC_NIST_P256') {
            throw new Error(`KMS key ${keyId} is ${out.KeySpec}; digests are signed with ECC_NIST_P256`);
          }
          return out.PublicKey;
        });
        // A failed fetch is retried by the next call rather than cached for the container's life.
        fetched.catch(() => {
          if (publicKey === fetched) publicKey = undefined;
        });
        publicKey = fetched;
      }
      return publicKey;
    },
    sign: async (message) => {
      const out = await client.send(
        new SignCommand({
          KeyId: keyId,
          Message: new Uint8Array(Buffer.from(sha256(message).hex, 'hex')),
          MessageType: 'DIGEST',
          SigningAlgorithm: SIGNING_ALGORITHM,
        }),
      );
      if (out.Signature === undefined) throw new Error(`KMS returned no signature from ${keyId}`);
      return { algorithm: SIGNING_ALGORITHM, keyId: out.KeyId ?? keyId, signature: out.Signature };
    },
  };
};
