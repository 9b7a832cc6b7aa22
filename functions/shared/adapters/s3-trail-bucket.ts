import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TrailBucket } from '../../../rules/core/trail-walker.ts';
import { listPages } from './s3-list.ts';

const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};

/**
 * The trail bucket read through S3 (any S3-compatible endpoint: the client decides, path-style or not).
 * Read-only: ListObjectsV2 and GetObject, nothing else, so the IAM grant can stay at that.
 */
export const createS3TrailBucket = (client: S3Client): TrailBucket => ({
  async *list(bucket, prefix, startAfter) {
    for await (const page of listPages(client, {
      Bucket: bucket,
      Prefix: prefix,
      ...(startAfter === undefined ? {} : { StartAfter: startAfter }),
    })) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) yield o.Key;
    }
  },
  async folders(bucket, prefix) {
    const out: string[] = [];
    let sawAnything = false;
    for await (const page of listPages(client, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) out.push(p.Prefix);
      sawAnything ||= (page.Contents?.length ?? 0) > 0 || (page.CommonPrefixes?.length ?? 0) > 0;
    }
    // Some S3-compatible servers (s3rver among them) ignore Delimiter below the top level. Skip-scan instead:
    // one request per folder, each starting after the last folder found ('0' sorts right after '/'). No
    // MaxKeys: s3rver fails on truncated pages.
    if (!sawAnything) {
      let after: string | undefined;
      for (;;) {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(after === undefined ? {} : { StartAfter: after }),
          }),
        );
        const key = page.Contents?.[0]?.Key;
        if (key === undefined) break;
        const slash = key.indexOf('/', prefix.length);
        if (slash < 0) {
          after = key;
          continue;
        }
        const folder = key.slice(0, slash + 1);
        out.push(folder);
        after = `${folder.slice(0, -1)}0`;
      }
    }
    return out.sort();
  },
  async get(bucket, key) {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (res.Body === undefined) return undefined;
      return { bytes: await res.Body.transformToByteArray(), metadata: res.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
  async stream(bucket, key) {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = res.Body as AsyncIterable<Uint8Array> | undefined;
      return body;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },
});
