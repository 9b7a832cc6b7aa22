import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
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
