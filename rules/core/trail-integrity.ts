import type { Finding } from './finding.ts';
import { findingId } from './finding.ts';
import type { DigestInvalidReason } from './trail-digest.ts';
import type { CheckMeta, Control, Severity } from './types.ts';

/**
 * CloudTrail log-file integrity rules (A.8.15: "gaps in log sequences indicating deleted entries", "log files
 * modified" are critical). Not CloudTrail-event rules: like the health rules (health.ts) they turn what the
 * trail-integrity validation observed into findings, which take the same ledger → sink → SNS → evidence path.
 * Pure: problems and the clock value in, findings out. Ids are deterministic per problem (rule, object key,
 * digest time), so every run that sees the same problem yields the same finding, paged once.
 */

export interface TrailWhere {
  readonly account: string;
  readonly region: string;
  /** The trail as named in its digest keys. */
  readonly trail: string;
}

/** Everything validation can find wrong, each naming the S3 object. */
export type TrailProblem = TrailWhere &
  (
    | {
        readonly kind: 'digest-invalid';
        readonly bucket: string;
        readonly key: string;
        readonly reason: DigestInvalidReason;
        readonly detail: string;
      }
    | {
        readonly kind: 'digest-moved';
        readonly bucket: string;
        readonly key: string;
        readonly claimedBucket: string;
        readonly claimedKey: string;
      }
    | { readonly kind: 'unknown-key'; readonly bucket: string; readonly key: string; readonly fingerprint: string }
    | {
        readonly kind: 'digest-missing';
        readonly bucket: string;
        readonly key: string;
        /** The digest whose `previousDigestS3Object` names the missing one. */
        readonly referencedBy: string;
      }
    | { readonly kind: 'log-file-missing'; readonly bucket: string; readonly key: string; readonly digestKey: string }
    | {
        readonly kind: 'log-file-altered';
        readonly bucket: string;
        readonly key: string;
        readonly digestKey: string;
        readonly expected: string;
        /** Undefined when the object is not gzip (cannot be hashed as CloudTrail did). */
        readonly actual?: string;
      }
    | {
        readonly kind: 'delivery-stopped';
        readonly bucket: string;
        /** The newest digest found for the trail (its key). */
        readonly key: string;
        readonly newestEndMs: number;
        readonly asOfMs: number;
        readonly allowedMs: number;
      }
  );

export type TrailProblemKind = TrailProblem['kind'];

export const TRAIL_INTEGRITY_RULES = {
  'cloudtrail.log-file-deleted': {
    title: 'CloudTrail log file deleted',
    description:
      'A log file listed in a signed CloudTrail digest is no longer in the bucket: recorded activity was removed.',
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1070', 'T1485'],
    runbook: [
      'Find who deleted it: S3 data events or server access logs of the trail bucket (DeleteObject on the key).',
      'Restore it from a previous version or a replica if the bucket is versioned; treat its hour as unaudited.',
      'Review every action of the deleting principal since; tighten the bucket policy (deny s3:DeleteObject).',
    ],
  },
  'cloudtrail.log-file-altered': {
    title: 'CloudTrail log file altered',
    description:
      'A log file no longer hashes (SHA-256, uncompressed) to the value its signed digest lists: its records were modified or replaced.',
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1070', 'T1565.001'],
    runbook: [
      'Do not trust the file. Fetch the original from a previous object version or a replica if one exists.',
      'Find who wrote the key (PutObject / CopyObject in S3 data events or server access logs).',
      'Investigate the hour the file covered from other sources (Config, the org trail, VPC flow logs).',
    ],
  },
  'cloudtrail.digest-gap': {
    title: 'CloudTrail digest missing from the chain',
    description:
      'A digest file the next signed digest chains to is gone: the log files it listed can no longer be proven, and may have been deleted with it.',
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1070'],
    runbook: [
      'Find who deleted the digest (S3 data events or server access logs of the trail bucket).',
      'Validate the log files of that hour against a replica or earlier copy; treat the hour as unaudited otherwise.',
    ],
  },
  'cloudtrail.digest-invalid': {
    title: 'CloudTrail digest invalid, forged or moved',
    description:
      'A digest file fails validation: its RSA signature does not verify, it is not where it was signed for (moved or copied), its chain links do not match, or it is unreadable.',
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1070', 'T1565.001'],
    runbook: [
      'Treat every log file the digest lists as unproven until checked against another copy.',
      'Find who wrote the digest key (PutObject / CopyObject in S3 data events or server access logs).',
      'Rerun `trailwarden validate-trail` over the surrounding days to bound the tampering.',
    ],
  },
  'cloudtrail.digest-unknown-key': {
    title: 'CloudTrail digest signed with an unknown key',
    description:
      "A digest names a public-key fingerprint CloudTrail does not list for the region: it cannot be verified and may be forged with the attacker's own key.",
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1565.001'],
    runbook: [
      'Compare the fingerprint with `aws cloudtrail list-public-keys` for the whole period (keys rotate).',
      'If no CloudTrail key matches, the digest is forged: handle as cloudtrail.digest-invalid.',
    ],
  },
  'cloudtrail.digest-delivery-stopped': {
    title: 'CloudTrail digest delivery stopped',
    description:
      'No new digest arrived for the trail for longer than the allowed lag: log file validation was disabled, the trail stopped, or the newest digests were deleted.',
    severity: 'critical',
    controls: ['A.8.15'],
    mitre: ['T1562.008'],
    runbook: [
      'Check the trail: `aws cloudtrail get-trail-status` (IsLogging, LatestDigestDeliveryTime, LatestDigestDeliveryError) and LogFileValidationEnabled.',
      'If CloudTrail reports digests delivered after the newest one found, they were deleted: find who deleted them.',
      'Re-enable log file validation (UpdateTrail --enable-log-file-validation) when it was turned off, and find who turned it off.',
    ],
  },
} as const satisfies Record<string, CheckMeta>;
export type TrailIntegrityRuleId = keyof typeof TRAIL_INTEGRITY_RULES;

/** Which rule each problem is a finding of. */
export const RULE_OF: Readonly<Record<TrailProblemKind, TrailIntegrityRuleId>> = {
  'log-file-missing': 'cloudtrail.log-file-deleted',
  'log-file-altered': 'cloudtrail.log-file-altered',
  'digest-missing': 'cloudtrail.digest-gap',
  'digest-invalid': 'cloudtrail.digest-invalid',
  'digest-moved': 'cloudtrail.digest-invalid',
  'unknown-key': 'cloudtrail.digest-unknown-key',
  'delivery-stopped': 'cloudtrail.digest-delivery-stopped',
};

export const TRAIL_INTEGRITY_ACTOR = { arn: 'trailwarden:trail-integrity', type: 'Trailwarden' } as const;

/** The candidate the ledger admits: one per problem, repeats of it are duplicates. */
export interface TrailIntegrityCandidate {
  readonly finding: Finding;
  readonly dedupKey: string;
  readonly dedupWindowMs: number;
}

/** How long the ledger folds repeats of one problem (its id never changes, so a repeat is a duplicate anyway). */
export const TRAIL_DEDUP_WINDOW_MS = 7 * 24 * 3_600_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/** One line naming the problem and its S3 object, as `validate-trail` prints it (AWS CLI wording where it has one). */
export const describeProblem = (p: TrailProblem): string => {
  const where = `s3://${p.bucket}/${p.key}`;
  switch (p.kind) {
    case 'digest-invalid':
      return `Digest file\t${where}\tINVALID: ${p.detail}`;
    case 'digest-moved':
      return `Digest file\t${where}\tINVALID: has been moved from its original location s3://${p.claimedBucket}/${p.claimedKey}`;
    case 'unknown-key':
      return `Digest file\t${where}\tINVALID: public key not found in region ${p.region} for fingerprint ${p.fingerprint}`;
    case 'digest-missing':
      return `Digest file\t${where}\tINVALID: not found (named by ${p.referencedBy})`;
    case 'log-file-missing':
      return `Log file\t${where}\tINVALID: not found (listed in ${p.digestKey})`;
    case 'log-file-altered':
      return p.actual === undefined
        ? `Log file\t${where}\tINVALID: invalid format (listed in ${p.digestKey})`
        : `Log file\t${where}\tINVALID: hash value doesn't match (listed in ${p.digestKey})`;
    case 'delivery-stopped':
      return `Digest delivery\t${where}\tSTOPPED: newest digest ends ${iso(p.newestEndMs)}, ${minutes(p.asOfMs - p.newestEndMs)} before ${iso(p.asOfMs)} (allowed ${minutes(p.allowedMs)})`;
  }
};

/** The time a problem is anchored at: the same problem seen by any later run gets the same finding id. */
const anchorMs = (p: TrailProblem, digestEndMs: number): number =>
  p.kind === 'delivery-stopped' ? p.newestEndMs : digestEndMs;

/**
 * A problem as a finding (the Finding shape of every other rule). `digestEndMs` is the end time of the digest
 * the problem was found through (0 when unknown); `nowMs` becomes `lastSeen`.
 */
export const trailFinding = (p: TrailProblem, digestEndMs: number, nowMs: number): TrailIntegrityCandidate => {
  const ruleId = RULE_OF[p.kind];
  const rule = TRAIL_INTEGRITY_RULES[ruleId];
  const object = `s3://${p.bucket}/${p.key}`;
  const groupKey = `${p.account}/${p.region}/${p.trail}/${object}`;
  const at = anchorMs(p, digestEndMs);
  return {
    finding: {
      schema: 'trailwarden.finding/v1',
      id: findingId(ruleId, groupKey, at),
      ruleId,
      title: rule.title,
      description: rule.description,
      severity: rule.severity,
      criticality: 'high',
      controls: rule.controls,
      mitre: rule.mitre,
      account: p.account,
      region: p.region,
      actor: TRAIL_INTEGRITY_ACTOR,
      resources: [object],
      eventIds: [],
      eventName: 'ValidateLogs',
      groupKey,
      firstSeen: iso(at),
      lastSeen: iso(Math.max(at, nowMs)),
      count: 1,
      threshold: null,
      runbook: rule.runbook,
      details: [describeProblem(p).replace(/\t/g, ' '), `trail: ${p.trail}`],
      drill: false,
    },
    dedupKey: `${ruleId}|${groupKey}|${at}`,
    dedupWindowMs: TRAIL_DEDUP_WINDOW_MS,
  };
};

/** Inline cases, as catalogue rules have: each rule's positive case is a problem that must map to it. */
export interface TrailIntegrityCase {
  readonly name: string;
  readonly problem: TrailProblem;
  readonly expect: TrailIntegrityRuleId;
}

const W = { account: '111122223333', region: 'eu-west-1', trail: 'management' } as const;
const DIGEST =
  'AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/02/111122223333_CloudTrail-Digest_eu-west-1_management_eu-west-1_20261102T100000Z.json.gz';
const LOG =
  'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/02/111122223333_CloudTrail_eu-west-1_20261102T0905Z_QE0KllBMAhqWeLg1.json.gz';
const B = 'trail-bucket';

export const TRAIL_INTEGRITY_CASES: readonly TrailIntegrityCase[] = [
  {
    name: 'listed log file gone',
    problem: { ...W, kind: 'log-file-missing', bucket: B, key: LOG, digestKey: DIGEST },
    expect: 'cloudtrail.log-file-deleted',
  },
  {
    name: 'log file hash differs',
    problem: {
      ...W,
      kind: 'log-file-altered',
      bucket: B,
      key: LOG,
      digestKey: DIGEST,
      expected: 'a'.repeat(64),
      actual: 'b'.repeat(64),
    },
    expect: 'cloudtrail.log-file-altered',
  },
  {
    name: 'previous digest gone',
    problem: {
      ...W,
      kind: 'digest-missing',
      bucket: B,
      key: DIGEST,
      referencedBy: DIGEST.replace('T100000Z', 'T110000Z'),
    },
    expect: 'cloudtrail.digest-gap',
  },
  {
    name: 'signature does not verify',
    problem: {
      ...W,
      kind: 'digest-invalid',
      bucket: B,
      key: DIGEST,
      reason: 'signature',
      detail: 'signature verification failed',
    },
    expect: 'cloudtrail.digest-invalid',
  },
  {
    name: 'digest copied to another key',
    problem: { ...W, kind: 'digest-moved', bucket: B, key: `${DIGEST}.copy`, claimedBucket: B, claimedKey: DIGEST },
    expect: 'cloudtrail.digest-invalid',
  },
  {
    name: 'fingerprint not a CloudTrail key',
    problem: { ...W, kind: 'unknown-key', bucket: B, key: DIGEST, fingerprint: '0'.repeat(32) },
    expect: 'cloudtrail.digest-unknown-key',
  },
  {
    name: 'no digest for two hours',
    problem: {
      ...W,
      kind: 'delivery-stopped',
      bucket: B,
      key: DIGEST,
      newestEndMs: Date.UTC(2026, 10, 2, 10),
      asOfMs: Date.UTC(2026, 10, 2, 12),
      allowedMs: 5_400_000,
    },
    expect: 'cloudtrail.digest-delivery-stopped',
  },
];

/** A rule that is not matched against events but derived from observations (docs and coverage list it too). */
export interface ObservationRule {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly controls: readonly Control[];
  readonly mitre: readonly string[];
  readonly runbook: readonly string[];
  /** What it observes and where (for the docs). */
  readonly source: string;
  readonly cases: {
    readonly total: number;
    readonly passed: number;
    readonly failures: readonly { readonly name: string; readonly reason: string }[];
  };
}

/** Run a case through the real problem → finding path. */
const runTrailCase = (c: TrailIntegrityCase): string | undefined => {
  const { finding } = trailFinding(c.problem, Date.UTC(2026, 10, 2, 10), Date.UTC(2026, 10, 2, 12));
  return finding.ruleId === c.expect ? undefined : `gave ${finding.ruleId}`;
};

/** The trail-integrity rules with their cases run, for `trailwarden docs` and `coverage`. */
export const trailIntegrityObservationRules = (): readonly ObservationRule[] =>
  (Object.keys(TRAIL_INTEGRITY_RULES) as TrailIntegrityRuleId[]).map((id) => {
    const rule = TRAIL_INTEGRITY_RULES[id];
    const cases = TRAIL_INTEGRITY_CASES.filter((c) => c.expect === id);
    const failures = cases.flatMap((c) => {
      const reason = runTrailCase(c);
      return reason === undefined ? [] : [{ name: c.name, reason }];
    });
    return {
      id,
      ...rule,
      source:
        'CloudTrail digest files and the log files they list (trail-integrity function on each new digest and hourly; `trailwarden validate-trail`)',
      cases: { total: cases.length, passed: cases.length - failures.length, failures },
    };
  });
