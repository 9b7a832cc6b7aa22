import { createHash } from 'node:crypto';
import type { Finding } from './finding.ts';

/** Hive-style key so Athena can partition by day (DESIGN §4). Shared by the evaluate Lambda and the CLI. */
export const evidenceKey = (finding: Finding): string =>
  `findings/dt=${finding.firstSeen.slice(0, 10)}/${finding.severity}/${finding.id}.json`;

/** The exact bytes archived; the digest chain hashes these bytes. */
export const evidenceBody = (finding: Finding): string => `${JSON.stringify(finding, null, 2)}\n`;

export const sha256 = (body: string | Uint8Array) => {
  const digest = createHash('sha256').update(body).digest();
  return { hex: digest.toString('hex'), base64: digest.toString('base64') };
};

/**
 * Every prefix of the evidence bucket whose objects are evidence: the digest chain covers them, the bucket policy
 * forbids deleting or overwriting them, `verify` and `export` read them. One registry, so a new kind of evidence
 * cannot be archived without being chained and locked. (`digests/` is the chain itself, kept apart.)
 */
export const EVIDENCE_PREFIXES = ['findings/', 'incidents/', 'triage/', 'reviews/'] as const;
export type EvidencePrefix = (typeof EVIDENCE_PREFIXES)[number];

/**
 * Evidence is append-only: a later state of the same object (a folded finding, an updated incident) is a new key,
 * never an overwrite. The revision is derived from the state (a finding's count, say), so a retried write targets
 * the same key and a conditional put (`IfNoneMatch: '*'`) makes it idempotent. Revision 1 is the base key.
 */
export const revisionKey = (baseKey: string, revision: number): string =>
  revision <= 1 ? baseKey : baseKey.replace(/\.json$/, `.r${revision}.json`);
