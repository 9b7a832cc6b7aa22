import { EVIDENCE_PREFIXES, sha256 } from './evidence.ts';

/**
 * The evidence digest chain (DESIGN §2, §4). Each period's digest lists every evidence object written in it
 * (key, SHA-256, size) and links to the previous digest by key and hash, so deleting, altering, inserting or
 * reordering evidence or digests is detectable by `trailwarden verify`. Pure: callers bring the bytes.
 */
export const DIGEST_SCHEMA = 'trailwarden.digest/v1';
/** The findings prefix (every evidence prefix is in `EVIDENCE_PREFIXES`; the chain covers them all). */
export const EVIDENCE_PREFIX = 'findings/';

const isEvidenceKey = (key: string): boolean => EVIDENCE_PREFIXES.some((p) => key.startsWith(p));
export const DIGEST_PREFIX = 'digests/';

export interface DigestEntry {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
}

export interface Digest {
  readonly schema: typeof DIGEST_SCHEMA;
  /** ISO-8601 UTC, inclusive. */
  readonly periodStart: string;
  /** ISO-8601 UTC, exclusive. */
  readonly periodEnd: string;
  readonly previousDigestKey: string | null;
  readonly previousDigestSha256: string | null;
  /** Sorted by key. */
  readonly objects: readonly DigestEntry[];
}

export interface StoredObject {
  readonly key: string;
  readonly bytes: string | Uint8Array;
}

export interface DigestLink {
  readonly key: string;
  readonly sha256: string;
}

const byteLength = (bytes: string | Uint8Array): number =>
  typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `2026-11-02T10:00:00.000Z` → `20261102T100000Z`. */
export const isoBasic = (iso: string): string => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${iso}`);
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
};

/** `digests/dt=YYYY-MM-DD/<periodStart ISO basic>.json`: keys order as the periods do. */
export const digestKey = (periodStart: string): string => {
  const basic = isoBasic(periodStart);
  return `${DIGEST_PREFIX}dt=${basic.slice(0, 4)}-${basic.slice(4, 6)}-${basic.slice(6, 8)}/${basic}.json`;
};

/** JSON with object keys sorted at every level: the same digest always gives the same bytes. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compare(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value;
};

/** The exact bytes stored for a digest: stable key order, two-space indent, trailing newline. */
export const digestBody = (digest: Digest): string => `${JSON.stringify(canonical(digest), null, 2)}\n`;

/** Normalise a time to `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC). */
const isoSeconds = (iso: string): string => `${isoBasicToIso(isoBasic(iso))}`;
const isoBasicToIso = (b: string): string =>
  `${b.slice(0, 4)}-${b.slice(4, 6)}-${b.slice(6, 8)}T${b.slice(9, 11)}:${b.slice(11, 13)}:${b.slice(13, 15)}Z`;

export interface BuiltDigest {
  readonly key: string;
  readonly body: string;
  readonly sha256: string;
  readonly digest: Digest;
}

/** The digest of one period; an empty period still produces one, so the chain has no silent gaps. */
export const buildDigest = (input: {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly objects: readonly StoredObject[];
  readonly previous: DigestLink | null;
}): BuiltDigest => {
  return buildDigestFromEntries({
    ...input,
    objects: input.objects.map((o) => ({ key: o.key, sha256: sha256(o.bytes).hex, size: byteLength(o.bytes) })),
  });
};

/**
 * The same digest from entries whose hash and size are already known (the scheduled function takes them from
 * the checksum S3 verified on arrival, rather than reading every object back).
 */
export const buildDigestFromEntries = (input: {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly objects: readonly DigestEntry[];
  readonly previous: DigestLink | null;
}): BuiltDigest => {
  const periodStart = isoSeconds(input.periodStart);
  const periodEnd = isoSeconds(input.periodEnd);
  if (periodEnd <= periodStart) throw new Error(`digest period ends (${periodEnd}) before it starts (${periodStart})`);
  const objects = input.objects
    .map((o) => ({ key: o.key, sha256: o.sha256, size: o.size }))
    .sort((a, b) => compare(a.key, b.key));
  const digest: Digest = {
    schema: DIGEST_SCHEMA,
    periodStart,
    periodEnd,
    previousDigestKey: input.previous?.key ?? null,
    previousDigestSha256: input.previous?.sha256 ?? null,
    objects,
  };
  const body = digestBody(digest);
  return { key: digestKey(periodStart), body, sha256: sha256(body).hex, digest };
};

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour `iso` falls in. */
export const hourOf = (iso: string): string => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${iso}`);
  return isoSeconds(new Date(ms - (ms % HOUR_MS)).toISOString());
};

/**
 * Hourly digests for objects grouped by the hour each was written in, chained in period order after
 * `previous`. Only hours that hold objects get a digest (the scheduled function also writes empty ones).
 */
export const buildHourlyChain = (
  objects: readonly (StoredObject & { readonly writtenAt: string })[],
  previous: DigestLink | null = null,
): BuiltDigest[] => {
  const byHour = new Map<string, StoredObject[]>();
  for (const o of objects) {
    const hour = hourOf(o.writtenAt);
    byHour.set(hour, [...(byHour.get(hour) ?? []), { key: o.key, bytes: o.bytes }]);
  }
  const out: BuiltDigest[] = [];
  let link = previous;
  for (const hour of [...byHour.keys()].sort(compare)) {
    const built = buildDigest({
      periodStart: hour,
      periodEnd: new Date(Date.parse(hour) + HOUR_MS).toISOString(),
      objects: byHour.get(hour) ?? [],
      previous: link,
    });
    out.push(built);
    link = { key: built.key, sha256: built.sha256 };
  }
  return out;
};

export type ProblemKind =
  | 'missing'
  | 'altered'
  | 'unexpected'
  | 'undigested'
  | 'out-of-order'
  | 'broken-link'
  | 'altered-digest';

export interface Problem {
  readonly kind: ProblemKind;
  readonly key: string;
  readonly detail: string;
  /** Warnings (`undigested`) do not fail verification. */
  readonly level: 'failure' | 'warning';
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly digests: number;
  readonly evidence: number;
  /** Evidence objects whose hash matched their latest digest entry. */
  readonly verified: number;
  readonly problems: readonly Problem[];
}

const isDigest = (value: unknown): value is Digest => {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  const nullableString = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    d.schema === DIGEST_SCHEMA &&
    typeof d.periodStart === 'string' &&
    typeof d.periodEnd === 'string' &&
    nullableString(d.previousDigestKey) &&
    nullableString(d.previousDigestSha256) &&
    Array.isArray(d.objects) &&
    d.objects.every(
      (o: unknown) =>
        o !== null &&
        typeof o === 'object' &&
        typeof (o as DigestEntry).key === 'string' &&
        typeof (o as DigestEntry).sha256 === 'string' &&
        typeof (o as DigestEntry).size === 'number',
    )
  );
};

const text = (bytes: string | Uint8Array): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

const parseDigest = (bytes: string | Uint8Array): Digest | string => {
  let value: unknown;
  try {
    value = JSON.parse(text(bytes));
  } catch (err) {
    return `not JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!isDigest(value)) return `not a ${DIGEST_SCHEMA} document`;
  return value;
};

/** The finding's `lastSeen`, when the object is a readable finding. */
const lastSeenOf = (bytes: string | Uint8Array): string | undefined => {
  try {
    const value = JSON.parse(text(bytes)) as { lastSeen?: unknown };
    return typeof value.lastSeen === 'string' && !Number.isNaN(Date.parse(value.lastSeen)) ? value.lastSeen : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Recompute every hash and walk the chain. Every problem is named by key; the report is `ok` when there are
 * no failures (`undigested` objects newer than the last digest are warnings: their digest is not due yet).
 */
export const verifyChain = (objects: readonly StoredObject[]): VerifyReport => {
  const problems: Problem[] = [];
  const fail = (kind: ProblemKind, key: string, detail: string): void => {
    problems.push({ kind, key, detail, level: 'failure' });
  };
  const present = new Map<string, StoredObject>();
  for (const o of objects) present.set(o.key, o);
  const evidenceKeys = [...present.keys()].filter(isEvidenceKey).sort(compare);

  // Digests in key order; keys sort as the periods do.
  const digests: { key: string; sha256: string; digest: Digest }[] = [];
  for (const key of [...present.keys()].filter((k) => k.startsWith(DIGEST_PREFIX)).sort(compare)) {
    const bytes = present.get(key)?.bytes ?? '';
    const parsed = parseDigest(bytes);
    if (typeof parsed === 'string') {
      fail('altered-digest', key, parsed);
      continue;
    }
    if (digestBody(parsed) !== text(bytes)) fail('altered-digest', key, 'bytes are not the digest as written');
    let expectedKey: string | undefined;
    try {
      expectedKey = digestKey(parsed.periodStart);
    } catch {
      expectedKey = undefined;
    }
    if (expectedKey !== key) {
      fail('out-of-order', key, `holds the digest for period ${parsed.periodStart} (expected at ${expectedKey})`);
    }
    digests.push({ key, sha256: sha256(bytes).hex, digest: parsed });
  }

  // The chain: each digest links to the one before it by key and hash; periods never overlap or go back.
  const digestKeys = new Set(digests.map((d) => d.key));
  digests.forEach((current, i) => {
    const prev = i === 0 ? undefined : digests[i - 1];
    const { previousDigestKey, previousDigestSha256, periodStart } = current.digest;
    if (prev === undefined) {
      if (previousDigestKey !== null && digestKeys.has(previousDigestKey)) {
        fail('out-of-order', current.key, `links to ${previousDigestKey}, but comes first`);
      } else if (previousDigestKey !== null) {
        fail('missing', previousDigestKey, `digest linked from ${current.key} is not present`);
        fail('broken-link', current.key, `links to ${previousDigestKey}, which is not present`);
      }
      return;
    }
    if (previousDigestKey === null) {
      fail('broken-link', current.key, `starts a new chain after ${prev.key}`);
    } else if (previousDigestKey !== prev.key) {
      if (digestKeys.has(previousDigestKey)) {
        fail('out-of-order', current.key, `links to ${previousDigestKey}, but follows ${prev.key}`);
      } else {
        fail('missing', previousDigestKey, `digest linked from ${current.key} is not present`);
        fail('broken-link', current.key, `links to ${previousDigestKey}, which is not present`);
      }
    } else if (previousDigestSha256 !== prev.sha256) {
      fail('altered-digest', prev.key, `sha256 ${prev.sha256} differs from ${previousDigestSha256} in ${current.key}`);
    }
    if (periodStart < prev.digest.periodEnd) {
      fail(
        'out-of-order',
        current.key,
        `period starts ${periodStart}, before ${prev.key}'s period ends ${prev.digest.periodEnd}`,
      );
    }
  });

  // Evidence: the latest digest listing of a key is the one its current bytes must match (an object
  // rewritten by a fold is listed again in a later period).
  const latest = new Map<string, { entry: DigestEntry; digestKey: string }>();
  for (const d of digests) for (const entry of d.digest.objects) latest.set(entry.key, { entry, digestKey: d.key });
  let verified = 0;
  for (const [key, { entry, digestKey: listedIn }] of [...latest.entries()].sort(([a], [b]) => compare(a, b))) {
    const object = present.get(key);
    if (object === undefined) {
      fail('missing', key, `listed in ${listedIn}, not present`);
      continue;
    }
    const hash = sha256(object.bytes).hex;
    if (hash !== entry.sha256 || byteLength(object.bytes) !== entry.size) {
      fail('altered', key, `sha256 ${hash} differs from ${entry.sha256} listed in ${listedIn}`);
      continue;
    }
    verified++;
  }

  const last = digests.at(-1);
  for (const key of evidenceKeys) {
    if (latest.has(key)) continue;
    const lastSeen = lastSeenOf(present.get(key)?.bytes ?? '');
    if (last !== undefined && lastSeen !== undefined && Date.parse(lastSeen) >= Date.parse(last.digest.periodEnd)) {
      problems.push({
        kind: 'undigested',
        key,
        detail: `written after the last digest (${last.key}); not yet covered`,
        level: 'warning',
      });
    } else {
      fail('unexpected', key, 'not listed in any digest');
    }
  }

  return {
    ok: problems.every((p) => p.level === 'warning'),
    digests: digests.length,
    evidence: evidenceKeys.length,
    verified,
    problems,
  };
};
