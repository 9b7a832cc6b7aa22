import type { DetectionConfig } from '../../rules/core/config.ts';
import type { IntelSource } from '../../rules/core/detector.ts';
import type { GeoLookup } from '../../rules/core/geo.ts';
import type { S3TextReader } from './adapters/anonymiser-list.ts';
import { s3AnonymiserList } from './adapters/anonymiser-list.ts';
import type { Telemetry } from './telemetry.ts';

/**
 * The IP database ships beside `index.mjs` (infra copies the npm files into the function's asset, never into the
 * JavaScript); its reader is imported on the first batch with a sign-in, and the files are read on the first lookup.
 * The anonymiser list is an S3 object read with a TTL cache through a lazily loaded client; a `file:` list has no
 * file in the Lambda, so it fails the cold start (infra refuses it at synth already).
 */
export const shippedIntel = (config: DetectionConfig, telemetry: Telemetry): IntelSource => {
  let geo: Promise<GeoLookup> | undefined;
  const loadGeo = (): Promise<GeoLookup> => {
    geo ??= import('./adapters/ip-database.ts')
      .then(({ createFileGeoLookup, shippedGeoFiles }) => createFileGeoLookup(shippedGeoFiles(import.meta.url)))
      .catch((err: unknown) => {
        geo = undefined;
        throw err;
      });
    return geo;
  };
  const list = config.anonymisers;
  if (list === undefined) return { geo: loadGeo };
  if (!list.source.startsWith('s3://')) {
    throw new Error(`anonymisers.source ${list.source}: the Lambda reads anonymiser lists from S3 (s3://bucket/key)`);
  }
  let reader: Promise<S3TextReader> | undefined;
  const readText: S3TextReader = async (bucket, key) => {
    reader ??= import('@aws-sdk/client-s3').then(({ S3Client, GetObjectCommand }) => {
      const s3 = new S3Client({});
      return async (b: string, k: string) => {
        const out = await s3.send(new GetObjectCommand({ Bucket: b, Key: k }));
        const body = await out.Body?.transformToString('utf-8');
        if (body === undefined) throw new Error(`s3://${b}/${k} has no body`);
        return body;
      };
    });
    reader.catch(() => {
      reader = undefined;
    });
    return (await reader)(bucket, key);
  };
  return {
    geo: loadGeo,
    anonymisers: s3AnonymiserList(list, readText, {
      onStale: (error, ageMs) => {
        telemetry.log('warn', 'anonymiser list refresh failed: the previous copy is in use', { error, ageMs });
        telemetry.count({ AnonymiserListStale: 1 });
      },
    }),
  };
};
