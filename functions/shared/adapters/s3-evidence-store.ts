import type { S3Client } from '@aws-sdk/client-s3';
import { evidenceBody, evidenceKey, findingRevisionKey, sha256 } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';

// The key, bytes and hash live in the pure core so the CLI (`scan --evidence`, `verify`) writes and checks
// exactly what this adapter archives.
export { evidenceBody, evidenceKey, findingRevisionKey, sha256 };

export interface EvidenceStore {
  put(finding: Finding): Promise<{ readonly key: string; readonly sha256: string }>;
}

const isPreconditionFailed = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
};

/**
 * Writes each state of a finding into the Object-Lock bucket, append-only: a fold is a new revision key
 * (`findingRevisionKey`, the finding's count), never an overwrite, and every write is conditional
 * (`IfNoneMatch: '*'`, which the bucket policy requires). A 412 means this exact state was already archived by an
 * earlier attempt (a retried batch): that is success, and the first write stands. S3 verifies `ChecksumSHA256`
 * on arrival, so a corrupted upload is refused rather than archived; COMPLIANCE retention locks every version.
 */
export const createS3EvidenceStore = (client: S3Client, bucket: string): EvidenceStore => ({
  put: async (finding) => {
    // Loaded on first use: the evaluate function's cold start does not pay for the S3 client.
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const key = findingRevisionKey(finding);
    const body = evidenceBody(finding);
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
          Metadata: { sha256: hash.hex, 'rule-id': finding.ruleId, severity: finding.severity },
        }),
      );
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
    }
    return { key, sha256: hash.hex };
  },
});
