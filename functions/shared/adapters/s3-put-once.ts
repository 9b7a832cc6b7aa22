import type { S3Client } from '@aws-sdk/client-s3';
import { sha256 } from '../../../rules/core/evidence.ts';

/** S3's answer to a conditional put whose key already exists. */
export const isPreconditionFailed = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
};

/**
 * The one way evidence is written: checksummed (S3 refuses a corrupted upload) and only if the key is new
 * (`IfNoneMatch: '*'`, which the bucket policy requires). `exists` means an earlier attempt, or someone else,
 * wrote the key first: the first write stands. The client loads on first use, never at a cold start.
 */
export const putOnce = async (
  client: S3Client,
  object: {
    readonly bucket: string;
    readonly key: string;
    readonly body: string;
    readonly contentType?: string;
    readonly metadata?: Readonly<Record<string, string>>;
  },
): Promise<{ readonly outcome: 'written' | 'exists'; readonly sha256: string }> => {
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const hash = sha256(object.body);
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType ?? 'application/json',
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: hash.base64,
        IfNoneMatch: '*',
        Metadata: { sha256: hash.hex, ...object.metadata },
      }),
    );
    return { outcome: 'written', sha256: hash.hex };
  } catch (err) {
    if (isPreconditionFailed(err)) return { outcome: 'exists', sha256: hash.hex };
    throw err;
  }
};
