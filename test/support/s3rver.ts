import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { _Object, ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
// s3rver ships no types; its surface here is tiny.
// @ts-expect-error -- untyped CommonJS module
import S3rver from 's3rver';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** A local S3 (s3rver) on a free port, with the named buckets, in a temp directory removed on stop. */
export const startS3rver = async (buckets: readonly string[]) => {
  const directory = mkdtempSync(join(tmpdir(), 'trailwarden-s3rver-'));
  const server = new (S3rver as new (opts: object) => S3rverInstance)({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver ignores checksums and mangles aws-chunked bodies: send plain bodies (TOOLCHAIN.md).
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
};

/**
 * s3rver 3.7.1 answers a ListObjectsV2 with a `Delimiter` with nothing when the keys sit in deeper "folders" (its
 * directory walk prunes the very folders that hold them). This wraps a client so such a listing is answered as S3
 * answers it: every key under the prefix, listed without the delimiter, folded into `CommonPrefixes` (one page).
 */
export const withDelimiterListing = (client: S3Client): S3Client =>
  new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: unknown, ...rest: unknown[]) => {
        const send = (c: unknown) => (target.send as (...a: unknown[]) => Promise<unknown>).call(target, c, ...rest);
        if (!(command instanceof ListObjectsV2Command) || !command.input.Delimiter) return send(command);
        const { Delimiter: delimiter, Prefix: prefix = '', Bucket } = command.input;
        const contents: _Object[] = [];
        const prefixes = new Set<string>();
        let token: string | undefined;
        do {
          const page = (await send(
            new ListObjectsV2Command({ Bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
          )) as ListObjectsV2CommandOutput;
          for (const o of page.Contents ?? []) {
            const rest = (o.Key ?? '').slice(prefix.length);
            const at = rest.indexOf(delimiter);
            if (at === -1) contents.push(o);
            else prefixes.add(prefix + rest.slice(0, at + delimiter.length));
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return {
          $metadata: {},
          Contents: contents,
          CommonPrefixes: [...prefixes].sort().map((p) => ({ Prefix: p })),
          IsTruncated: false,
        } satisfies ListObjectsV2CommandOutput;
      };
    },
  });
