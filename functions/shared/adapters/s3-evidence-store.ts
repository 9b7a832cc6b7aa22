import type { S3Client } from '@aws-sdk/client-s3';
import { evidenceBody, evidenceKey, sha256 } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';

// The key, bytes and hash live in the pure core so the CLI (`scan --evidence`, `verify`) writes and checks
// exactly what this adapter archives.
export { evidenceBody, evidenceKey, sha256 };

export interface EvidenceStore {
  put(finding: Finding): Promise<{ readonly key: string; readonly sha256: string }>;
}

/**
 * Writes each finding into the Object-Lock bucket. S3 verifies `ChecksumSHA256` on arrival, so a corrupted
 * upload is refused rather than archived; the bucket's default COMPLIANCE retention locks every version.
 */
export const createS3EvidenceStore = (client: S3Client, bucket: string): EvidenceStore => ({
  put: async (finding) => {
    // Loaded on first use: the evaluate function's cold start does not pay for the S3 client.
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const key = evidenceKey(finding);
    const body = evidenceBody(finding);
    const hash = sha256(body);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: hash.base64,
        Metadata: { sha256: hash.hex, 'rule-id': finding.ruleId, severity: finding.severity },
      }),
    );
    return { key, sha256: hash.hex };
  },
});
