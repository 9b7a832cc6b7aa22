import type { S3Client } from '@aws-sdk/client-s3';
import { evidenceBody, evidenceKey, findingRevisionKey, revisionKey, sha256 } from '../../../rules/core/evidence.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import type { Incident } from '../../../rules/core/incident.ts';
import { incidentBody, incidentKey } from '../../../rules/core/incident.ts';
import { putOnce } from './s3-put-once.ts';

// The key, bytes and hash live in the pure core so the CLI (`scan --evidence`, `verify`) writes and checks
// exactly what this adapter archives.
export { evidenceBody, evidenceKey, findingRevisionKey, sha256 };

export interface EvidenceStore {
  put(finding: Finding): Promise<{ readonly key: string; readonly sha256: string }>;
  /** One state of an incident, at `revisionKey(incidentKey(i), i.revision)`: a new key per state, never an overwrite. */
  putIncident(incident: Incident): Promise<{ readonly key: string; readonly sha256: string }>;
}

/** The key an incident state is archived at (append-only: each revision its own object). */
export const incidentEvidenceKey = (incident: Incident): string =>
  revisionKey(incidentKey(incident), incident.revision);

/** S3's answer to a conditional put whose key already exists. */
/**
 * Writes each state of a finding into the Object-Lock bucket, append-only: a fold is a new revision key
 * (`findingRevisionKey`, the finding's count), never an overwrite, and every write is conditional
 * (`IfNoneMatch: '*'`, which the bucket policy requires). A 412 means this exact state was already archived by an
 * earlier attempt (a retried batch): that is success, and the first write stands. S3 verifies `ChecksumSHA256`
 * on arrival, so a corrupted upload is refused rather than archived; COMPLIANCE retention locks every version.
 */
export const createS3EvidenceStore = (client: S3Client, bucket: string): EvidenceStore => ({
  put: async (finding) => {
    const key = findingRevisionKey(finding);
    const metadata = { 'rule-id': finding.ruleId, severity: finding.severity };
    const { sha256: hex } = await putOnce(client, { bucket, key, body: evidenceBody(finding), metadata });
    return { key, sha256: hex };
  },
  putIncident: async (incident) => {
    // A revision is written once: a retried batch finds it there and a forger cannot replace it.
    const key = incidentEvidenceKey(incident);
    const metadata = { 'incident-id': incident.id, severity: incident.severity };
    const { sha256: hex } = await putOnce(client, { bucket, key, body: incidentBody(incident), metadata });
    return { key, sha256: hex };
  },
});
