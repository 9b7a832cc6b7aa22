import type { S3Client } from '@aws-sdk/client-s3';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sha256 } from '../../../rules/core/evidence.ts';
import type { TriageStore } from '../../triage/webhook.ts';

const isPreconditionFailed = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
};

/** Triage objects into the Object-Lock bucket: checksummed, and never over an existing key (IfNoneMatch). */
export const createS3TriageStore = (client: S3Client, bucket: string): TriageStore => ({
  put: async (key, body) => {
    const hash = sha256(body);
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: hash.base64,
          IfNoneMatch: '*',
          Metadata: { sha256: hash.hex },
        }),
      );
      return 'written';
    } catch (err) {
      if (isPreconditionFailed(err)) return 'exists';
      throw err;
    }
  },
});
