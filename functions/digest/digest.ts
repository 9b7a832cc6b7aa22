import { S3Client } from '@aws-sdk/client-s3';
import { buildDigestFromEntries, digestKey, HOUR_MS } from '../../rules/core/digest.ts';
import type { Clock, DigestStore } from '../../rules/core/ports.ts';
import { createS3DigestStore } from '../shared/adapters/s3-digest-store.ts';
import type { Telemetry } from '../shared/telemetry.ts';
import { createTelemetry } from '../shared/telemetry.ts';

export interface DigestDeps {
  readonly store: DigestStore;
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
 * Scheduled, hourly: the digest of the previous whole UTC hour — every evidence object written in it, linked to
 * the latest digest before it — written once to the Object-Lock bucket. An empty hour still gets a digest, so
 * the chain has no silent gaps; a run for an hour that already has its digest does nothing.
 */
export const createHandler = (deps: DigestDeps) => async (): Promise<DigestReport> => {
  const { store, telemetry } = deps;
  const { startMs, endMs } = previousHour(deps.clock.now());
  const periodStart = new Date(startMs).toISOString();
  const key = digestKey(periodStart);
  if (await store.exists(key)) {
    telemetry.log('info', 'digest already written', { key });
    return { status: 'exists', key };
  }
  const [objects, previous] = await Promise.all([store.listEvidence(startMs, endMs), store.previousDigest(key)]);
  const built = buildDigestFromEntries({
    periodStart,
    periodEnd: new Date(endMs).toISOString(),
    objects,
    previous,
  });
  if (!(await store.putDigest(built.key, built.body))) {
    telemetry.log('info', 'digest written by another run', { key });
    return { status: 'exists', key };
  }
  telemetry.log('info', 'digest written', {
    key,
    sha256: built.sha256,
    objects: objects.length,
    previous: previous?.key ?? null,
  });
  telemetry.count({ DigestsWritten: 1, DigestedObjects: objects.length });
  return { status: 'written', key, objects: objects.length, previous: previous?.key ?? null };
};

/** Built once per container; a missing bucket name fails at init. */
export const createDeps = (env: Readonly<Record<string, string | undefined>>): DigestDeps => {
  const bucket = env.EVIDENCE_BUCKET;
  if (bucket === undefined || bucket === '') throw new Error('environment variable EVIDENCE_BUCKET is required');
  return {
    store: createS3DigestStore(new S3Client({}), bucket),
    clock: { now: () => Date.now() },
    telemetry: createTelemetry('trailwarden-digest'),
  };
};
