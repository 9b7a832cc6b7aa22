import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { buildDigestFromEntries, digestKey, HOUR_MS } from '../../rules/core/digest.ts';
import type { Clock, DigestSigner, DigestStore } from '../../rules/core/ports.ts';
import { keyFingerprint, publicKeyKey, publicKeyPem } from '../../rules/core/signature.ts';
import { createKmsDigestSigner } from '../shared/adapters/kms-digest-signer.ts';
import { createS3DigestStore } from '../shared/adapters/s3-digest-store.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry } from '../shared/telemetry.ts';

export interface DigestDeps {
  readonly store: DigestStore;
  readonly signer: DigestSigner;
  readonly clock: Clock;
  readonly telemetry: Telemetry;
}

export type DigestReport =
  | { readonly status: 'written'; readonly key: string; readonly objects: number; readonly previous: string | null }
  | { readonly status: 'exists'; readonly key: string };

/** The previous whole UTC hour of `nowMs`: `[start, end)`. */
export const previousHour = (nowMs: number): { readonly startMs: number; readonly endMs: number } => {
  const endMs = nowMs - (((nowMs % HOUR_MS) + HOUR_MS) % HOUR_MS);
  return { startMs: endMs - HOUR_MS, endMs };
};

/**
 * Scheduled, hourly: the signed digest of the previous whole UTC hour — every evidence object written in it,
 * linked to the latest digest before it — written once to the Object-Lock bucket, beside the public key that
 * verifies it. An empty hour still gets a digest, so the chain has no silent gaps; a run for an hour that already
 * has its digest does nothing.
 */
export const createHandler = (deps: DigestDeps) => {
  const { store, signer, telemetry } = deps;
  // The public key goes beside the evidence once per container (a conditional put: later runs are no-ops).
  let keyKept: Promise<string> | undefined;
  const keepPublicKey = (): Promise<string> => {
    keyKept ??= (async () => {
      const der = await signer.publicKey();
      const key = publicKeyKey(keyFingerprint(der));
      await store.putPublicKey(key, publicKeyPem(der));
      return key;
    })().catch((err: unknown) => {
      keyKept = undefined;
      throw err;
    });
    return keyKept;
  };

  return async (): Promise<DigestReport> => {
    const { startMs, endMs } = previousHour(deps.clock.now());
    const periodStart = new Date(startMs).toISOString();
    const key = digestKey(periodStart);
    const publicKey = await keepPublicKey();
    if (await store.exists(key)) {
      telemetry.log('info', 'digest already written', { key });
      return { status: 'exists', key };
    }
    const [objects, previous] = await Promise.all([store.listEvidence(startMs, endMs), store.previousDigest(key)]);
    const built = await buildDigestFromEntries(
      { periodStart, periodEnd: new Date(endMs).toISOString(), objects, previous },
      signer,
    );
    if (!(await store.putDigest(built.key, built.body))) {
      telemetry.log('info', 'digest written by another run', { key });
      return { status: 'exists', key };
    }
    telemetry.log('info', 'digest written', {
      key,
      sha256: built.sha256,
      objects: objects.length,
      previous: previous?.key ?? null,
      signedBy: built.digest.signature.keyId,
      publicKey,
    });
    telemetry.count({ DigestsWritten: 1, DigestedObjects: objects.length });
    return { status: 'written', key, objects: objects.length, previous: previous?.key ?? null };
  };
};

/** Built once per container; a missing bucket name or signing key fails at init. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): DigestDeps => {
  const bucket = env.EVIDENCE_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('environment variable EVIDENCE_BUCKET is required');
  const signingKey = env.DIGEST_SIGNING_KEY_ARN;
  if (signingKey === undefined || signingKey === '') {
    throw new Error('environment variable DIGEST_SIGNING_KEY_ARN is required');
  }
  return {
    store: createS3DigestStore(new S3Client({}), bucket),
    signer: createKmsDigestSigner(new KMSClient({}), signingKey),
    clock: { now: () => Date.now() },
    telemetry: createTelemetry('trailwarden-digest'),
  };
};
