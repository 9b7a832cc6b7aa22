import { createHash } from 'node:crypto';
import type { Finding } from './finding.ts';
import { replayPartition } from './replay.ts';

/** Hive-style key so Athena can partition by day (DESIGN §4). Shared by the evaluate Lambda and the CLI. */
export const evidenceKey = (finding: Finding): string =>
  finding.replay === undefined
    ? `findings/dt=${finding.firstSeen.slice(0, 10)}/${finding.severity}/${finding.id}.json`
    : // A replay's findings are months old: keyed by the replay's day (chained by the digest), in its own partition.
      `findings/${replayPartition(finding.replay)}${finding.severity}/${finding.id}.json`;

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
 * Every key under them is partitioned `<prefix>dt=YYYY-MM-DD/…` by a day no more than two days before the write
 * (`KEY_DAY_LOOKBACK_DAYS`): the digest function finds an hour's writes by listing those day prefixes, so an
 * object keyed further back would never be chained (and `verify` would report it `unexpected`).
 */
export const EVIDENCE_PREFIXES = ['findings/', 'incidents/', 'triage/', 'reviews/', 'drills/'] as const;
export type EvidencePrefix = (typeof EVIDENCE_PREFIXES)[number];
export const KEY_DAY_LOOKBACK_DAYS = 2;

/**
 * Evidence is append-only: a later state of the same object (a folded finding, an updated incident) is a new key,
 * never an overwrite. The revision is derived from the state (a finding's count, say), so a retried write targets
 * the same key and a conditional put (`IfNoneMatch: '*'`) makes it idempotent. Revision 1 is the base key.
 */
export const revisionKey = (baseKey: string, revision: number): string =>
  revision <= 1 ? baseKey : baseKey.replace(/\.json$/, `.r${revision}.json`);

/** Whether `key` is evidence (under one of `EVIDENCE_PREFIXES`): chained, locked, read by verify and export. */
export const isEvidenceKey = (key: string): boolean => EVIDENCE_PREFIXES.some((p) => key.startsWith(p));

/** A key without its revision suffix, and the revision (1 for the base key): the inverse of `revisionKey`. */
export const parseRevision = (key: string): { readonly base: string; readonly revision: number } => {
  // `s`: an S3 key may hold a newline, and its revision must still parse back to its own base key. With it, the
  // greedy `(.*)` always matches from the start of the key, so no `^` is needed.
  const match = /(.*)\.r(\d+)\.json$/s.exec(key);
  const revision = match === null ? 1 : Number(match[2]);
  // Stryker disable next-line ConditionalExpression: with no match the revision is already 1, so `revision < 2` decides alone; the null test is for TypeScript
  return match === null || revision < 2 ? { base: key, revision: 1 } : { base: `${match[1]}.json`, revision };
};

/**
 * The key of this state of a finding: its count is the revision, so each fold is a new object (a retried fold
 * with the same count targets the same key) and the highest revision is the finding's current state.
 */
export const findingRevisionKey = (finding: Finding): string => revisionKey(evidenceKey(finding), finding.count);
