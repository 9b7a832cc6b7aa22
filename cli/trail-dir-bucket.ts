import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrailBucket } from '../rules/core/trail-walker.ts';

/**
 * Sidecar holding an object's S3 user metadata in a local copy of a trail bucket: `KEY.metadata.json` beside
 * `KEY`, the JSON object `aws s3api head-object --query Metadata` prints, e.g.
 * `{"signature":"<hex>","signature-algorithm":"SHA256withRSA"}`. `aws s3 sync` does not keep metadata, so a
 * copy made with it needs these written for every digest (log files need none).
 */
export const DIR_METADATA_SUFFIX = '.metadata.json';

/** Read size of log files: a few inflate chunks' worth of gzip input (CloudTrail logs inflate ~10×). */
const READ_CHUNK = 64 * 1024;

const missing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
};

/**
 * A directory holding one bucket's keys as paths (`DIR/AWSLogs/…`, what `aws s3 sync s3://BUCKET DIR` makes),
 * signed for `bucketName`. Objects of any other bucket are reported missing: they are not in the copy.
 */
export const createDirTrailBucket = (root: string, bucketName: string): TrailBucket => {
  const pathOf = (key: string): string => join(root, ...key.split('/'));
  const entries = async (dirKey: string): Promise<{ name: string; dir: boolean }[]> => {
    try {
      const list = await readdir(pathOf(dirKey), { withFileTypes: true });
      return list.map((e) => ({ name: e.name, dir: e.isDirectory() })).sort((a, b) => (a.name < b.name ? -1 : 1));
    } catch (err) {
      if (missing(err)) return [];
      throw err;
    }
  };
  /** Keys under the folder `dirKey` (ending in `/` or ''), in S3's byte order. */
  async function* walk(dirKey: string): AsyncGenerator<string> {
    const all = (await entries(dirKey)).flatMap((e) =>
      e.dir ? [`${dirKey}${e.name}/`] : e.name.endsWith(DIR_METADATA_SUFFIX) ? [] : [`${dirKey}${e.name}`],
    );
    for (const k of all.sort()) {
      if (k.endsWith('/')) yield* walk(k);
      else yield k;
    }
  }
  return {
    async *list(bucket, prefix, startAfter) {
      if (bucket !== bucketName) return;
      const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      for await (const key of walk(folder)) {
        if (key.startsWith(prefix) && (startAfter === undefined || key > startAfter)) yield key;
      }
    },
    async folders(bucket, prefix) {
      if (bucket !== bucketName || !prefix.endsWith('/')) return [];
      return (await entries(prefix)).filter((e) => e.dir).map((e) => `${prefix}${e.name}/`);
    },
    async get(bucket, key) {
      if (bucket !== bucketName) return undefined;
      let bytes: Buffer;
      try {
        bytes = await readFile(pathOf(key));
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
      let metadata: Record<string, string> = {};
      try {
        const parsed: unknown = JSON.parse(await readFile(`${pathOf(key)}${DIR_METADATA_SUFFIX}`, 'utf8'));
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          metadata = Object.fromEntries(
            Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'),
          );
        }
      } catch (err) {
        // No sidecar: the digest reads as unsigned, which validation reports.
        if (!missing(err) && !(err instanceof SyntaxError)) throw err;
      }
      return { bytes, metadata };
    },
    async stream(bucket, key) {
      if (bucket !== bucketName) return undefined;
      // Opened once, no stat before: a missing file shows as the open failing (one syscall per file fewer,
      // each a trip through the libuv threadpool that is also inflating). A folder at the key opens, then
      // fails to read (EISDIR): the walk stops with that error, as on any read error, rather than guess.
      const file = createReadStream(pathOf(key), { highWaterMark: READ_CHUNK });
      try {
        await once(file, 'ready');
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
      return file;
    },
  };
};
