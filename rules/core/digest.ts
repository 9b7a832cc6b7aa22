import { isEvidenceKey, sha256 } from './evidence.ts';
import type { DigestSigner } from './signature.ts';
import { KEYS_PREFIX, keyFingerprint, parsePublicKey, publicKeyKey, verifySignature } from './signature.ts';

/**
 * The evidence digest chain (DESIGN §2, §4). Each period's digest lists every evidence object written in it
 * (key, SHA-256, size), links to the previous digest by key and hash, and is signed (signature.ts), so deleting,
 * altering, inserting or reordering evidence or digests, re-serialising or appending a digest, or cutting the
 * chain short is detectable by `trailwarden verify`. Pure: callers bring the bytes and the signer.
 */
export const DIGEST_SCHEMA = 'trailwarden.digest/v2';
/** Unsigned digests written before signatures existed: still parsed, always reported `unsigned`. */
const LEGACY_SCHEMA = 'trailwarden.digest/v1';
export const DIGEST_PREFIX = 'digests/';

export interface DigestEntry {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
}

/** What is signed: the digest without its signature, serialised by `digestBody`. */
export interface UnsignedDigest {
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

export interface DigestSignature {
  readonly algorithm: string;
  /** The signing key as its writer names it (a KMS key ARN, `local:…`). */
  readonly keyId: string;
  /** SHA-256 of the public key's SPKI DER: which key `verify` checks it with (`keys/<this>.pem`). */
  readonly publicKeySha256: string;
  /** DER-encoded ECDSA signature, base64, over `digestBody` of the digest without this field. */
  readonly value: string;
}

export interface Digest extends UnsignedDigest {
  readonly signature: DigestSignature;
}

export interface StoredObject {
  readonly key: string;
  readonly bytes: string | Uint8Array;
  /** When the store says the object was written (S3 `LastModified`), if it knows. */
  readonly writtenAt?: string;
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
export const digestBody = (digest: UnsignedDigest | Digest): string =>
  `${JSON.stringify(canonical(digest), null, 2)}\n`;

/** The bytes a digest's signature covers: its body without the `signature` field. */
export const signingInput = (digest: UnsignedDigest | Digest): string => {
  const { signature: _signature, ...unsigned } = digest as Digest;
  return digestBody(unsigned);
};

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

export interface DigestInput {
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly objects: readonly DigestEntry[];
  readonly previous: DigestLink | null;
}

/** The digest of one period before signing (its key and the bytes the signature covers). */
export const unsignedDigest = (input: DigestInput): { readonly key: string; readonly digest: UnsignedDigest } => {
  const periodStart = isoSeconds(input.periodStart);
  const periodEnd = isoSeconds(input.periodEnd);
  if (periodEnd <= periodStart) throw new Error(`digest period ends (${periodEnd}) before it starts (${periodStart})`);
  const objects = input.objects
    .map((o) => ({ key: o.key, sha256: o.sha256, size: o.size }))
    .sort((a, b) => compare(a.key, b.key));
  return {
    key: digestKey(periodStart),
    digest: {
      schema: DIGEST_SCHEMA,
      periodStart,
      periodEnd,
      previousDigestKey: input.previous?.key ?? null,
      previousDigestSha256: input.previous?.sha256 ?? null,
      objects,
    },
  };
};

/** Signs an unsigned digest: the signature covers `signingInput`, and the stored body carries it. */
export const signDigest = async (
  unsigned: { readonly key: string; readonly digest: UnsignedDigest },
  signer: DigestSigner,
): Promise<BuiltDigest> => {
  const [signed, publicKey] = await Promise.all([
    signer.sign(Buffer.from(digestBody(unsigned.digest))),
    signer.publicKey(),
  ]);
  const digest: Digest = {
    ...unsigned.digest,
    signature: {
      algorithm: signed.algorithm,
      keyId: signed.keyId,
      publicKeySha256: keyFingerprint(publicKey),
      value: Buffer.from(signed.signature).toString('base64'),
    },
  };
  const body = digestBody(digest);
  return { key: unsigned.key, body, sha256: sha256(body).hex, digest };
};

/**
 * The signed digest from entries whose hash and size are already known (the scheduled function takes them from
 * the checksum S3 verified on arrival, rather than reading every object back).
 */
export const buildDigestFromEntries = (input: DigestInput, signer: DigestSigner): Promise<BuiltDigest> =>
  signDigest(unsignedDigest(input), signer);

/** The signed digest of one period; an empty period still produces one, so the chain has no silent gaps. */
export const buildDigest = (
  input: Omit<DigestInput, 'objects'> & { readonly objects: readonly StoredObject[] },
  signer: DigestSigner,
): Promise<BuiltDigest> =>
  buildDigestFromEntries(
    {
      ...input,
      objects: input.objects.map((o) => ({ key: o.key, sha256: sha256(o.bytes).hex, size: byteLength(o.bytes) })),
    },
    signer,
  );

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour `iso` falls in. */
export const hourOf = (iso: string): string => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${iso}`);
  return isoSeconds(new Date(ms - (ms % HOUR_MS)).toISOString());
};

/**
 * Signed hourly digests for objects grouped by the hour each was written in, chained in period order after
 * `previous` — one for EVERY hour from the first to the last (`from`/`to` widen the range), objects or not, as
 * the scheduled function writes them, so a chain cut short by deleting its newest digests shows as stale.
 */
export const buildHourlyChain = async (
  objects: readonly (StoredObject & { readonly writtenAt: string })[],
  options: {
    readonly signer: DigestSigner;
    readonly previous?: DigestLink | null;
    /** Any time inside the first hour to digest. */
    readonly from?: string;
    /** Any time inside the last hour to digest. */
    readonly to?: string;
  },
): Promise<BuiltDigest[]> => {
  const byHour = new Map<string, StoredObject[]>();
  for (const o of objects) {
    const hour = hourOf(o.writtenAt);
    byHour.set(hour, [...(byHour.get(hour) ?? []), { key: o.key, bytes: o.bytes }]);
  }
  const bounds = [...byHour.keys(), ...[options.from, options.to].flatMap((t) => (t === undefined ? [] : [hourOf(t)]))]
    .map((h) => Date.parse(h))
    .sort((a, b) => a - b);
  const first = bounds.at(0);
  const last = bounds.at(-1);
  const out: BuiltDigest[] = [];
  if (first === undefined || last === undefined) return out;
  let link = options.previous ?? null;
  for (let ms = first; ms <= last; ms += HOUR_MS) {
    const hour = isoSeconds(new Date(ms).toISOString());
    const built = await buildDigest(
      {
        periodStart: hour,
        periodEnd: new Date(ms + HOUR_MS).toISOString(),
        objects: byHour.get(hour) ?? [],
        previous: link,
      },
      options.signer,
    );
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
  | 'altered-digest'
  | 'unsigned'
  | 'bad-signature'
  | 'unknown-key'
  | 'bad-key'
  | 'key-changed'
  | 'stale'
  | 'deleted'
  | 'overwritten';

export interface Problem {
  readonly kind: ProblemKind;
  readonly key: string;
  readonly detail: string;
  /** Warnings do not fail verification (`undigested`: its digest is not due yet). */
  readonly level: 'failure' | 'warning';
}

/** Where the public keys that signatures were checked against came from. */
export type KeyTrust =
  /** Keys the auditor brought (`--public-key`, KMS `GetPublicKey`): only these are trusted. */
  | { readonly source: 'anchor'; readonly fingerprints: readonly string[] }
  /** Only the copies stored beside the evidence (`keys/`): whoever can write there could have swapped them. */
  | { readonly source: 'stored'; readonly fingerprints: readonly string[] };

export interface VerifyReport {
  readonly ok: boolean;
  readonly digests: number;
  readonly evidence: number;
  /** Evidence objects whose hash matched their latest digest entry. */
  readonly verified: number;
  /** Digests whose signature verified against a trusted key. */
  readonly signed: number;
  readonly trust: KeyTrust;
  /** The end of the last digest's period (null with no digest). */
  readonly chainEnd: string | null;
  readonly problems: readonly Problem[];
}

/** One version (or delete marker) of an object in a versioned bucket, as `ListObjectVersions` lists it. */
export interface ObjectVersion {
  readonly versionId: string;
  readonly deleteMarker: boolean;
  readonly lastModified: string;
}

export interface ObjectHistory {
  readonly key: string;
  /** Newest first. */
  readonly versions: readonly ObjectVersion[];
}

export interface VerifyOptions {
  /** Public keys (SPKI DER) the auditor keeps. When given, no other key is trusted. */
  readonly anchors?: readonly Uint8Array[];
  /** Freshness: the chain must cover time up to here (ISO-8601), else `stale`. */
  readonly until?: string;
  /** Version history of every object read (a versioned bucket): delete markers and rewrites are failures. */
  readonly history?: readonly ObjectHistory[];
  /** The objects are an excerpt of a longer chain (an export package): see `ChainExcerpt`. */
  readonly excerpt?: ChainExcerpt;
}

/**
 * What an exported package declares about the chain it was cut from (its manifest): the digest its first digest
 * links to, outside the package, and the listed objects it leaves out (outside the selection). Verification then
 * proves that everything inside is authentic and unaltered and names what is outside; completeness is proven only
 * by verifying the source, which is why the report says so.
 */
export interface ChainExcerpt {
  readonly startsAfter: DigestLink | null;
  readonly omitted: readonly string[];
}

const isEntry = (o: unknown): o is DigestEntry =>
  o !== null &&
  typeof o === 'object' &&
  typeof (o as DigestEntry).key === 'string' &&
  typeof (o as DigestEntry).sha256 === 'string' &&
  typeof (o as DigestEntry).size === 'number';

/** A digest document, signed or not (a missing signature is reported, not a parse error). */
type ParsedDigest = Omit<Digest, 'signature'> & { readonly signature?: unknown };

const isDigest = (value: unknown): value is ParsedDigest => {
  if (value === null || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  const nullableString = (v: unknown): boolean => v === null || typeof v === 'string';
  return (
    (d.schema === DIGEST_SCHEMA || d.schema === LEGACY_SCHEMA) &&
    typeof d.periodStart === 'string' &&
    typeof d.periodEnd === 'string' &&
    nullableString(d.previousDigestKey) &&
    nullableString(d.previousDigestSha256) &&
    Array.isArray(d.objects) &&
    d.objects.every(isEntry)
  );
};

const isSignature = (value: unknown): value is DigestSignature => {
  if (value === null || typeof value !== 'object') return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.algorithm === 'string' &&
    typeof s.keyId === 'string' &&
    typeof s.publicKeySha256 === 'string' &&
    typeof s.value === 'string'
  );
};

const text = (bytes: string | Uint8Array): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

const parseDigest = (bytes: string | Uint8Array): ParsedDigest | string => {
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

const short = (fingerprint: string): string => fingerprint.slice(0, 16);

/** Delete markers and second versions: evidence, digests and keys are written once and never removed. */
export const historyProblems = (history: readonly ObjectHistory[]): Problem[] => {
  const problems: Problem[] = [];
  for (const { key, versions } of [...history].sort((a, b) => compare(a.key, b.key))) {
    const markers = versions.filter((v) => v.deleteMarker);
    const written = versions.filter((v) => !v.deleteMarker);
    for (const m of markers) {
      problems.push({
        kind: 'deleted',
        key,
        detail: `delete marker ${m.versionId} at ${m.lastModified}; ${written.length} locked version(s) remain`,
        level: 'failure',
      });
    }
    if (written.length > 1) {
      problems.push({
        kind: 'overwritten',
        key,
        detail: `${written.length} versions (${written.map((v) => `${v.versionId} at ${v.lastModified}`).join(', ')}); evidence is written once`,
        level: 'failure',
      });
    }
  }
  return problems;
};

/**
 * The excerpt an export package declares, derived from the objects it holds: its first digest's link (when that
 * digest is not in the package) and every object its digests list that it does not hold. Unreadable digests are
 * skipped here; `verifyChain` names them.
 */
export const excerptOf = (objects: readonly StoredObject[]): ChainExcerpt => {
  const held = new Set(objects.map((o) => o.key));
  const digests = objects
    .filter((o) => o.key.startsWith(DIGEST_PREFIX))
    .map((o) => parseDigest(o.bytes))
    .filter((d): d is ParsedDigest => typeof d !== 'string')
    .sort((a, b) => compare(a.periodStart, b.periodStart));
  const first = digests[0];
  const link =
    first?.previousDigestKey !== null &&
    first?.previousDigestKey !== undefined &&
    first.previousDigestSha256 !== null &&
    !held.has(first.previousDigestKey)
      ? { key: first.previousDigestKey, sha256: first.previousDigestSha256 }
      : null;
  const omitted = new Set(digests.flatMap((d) => d.objects.map((e) => e.key)).filter((k) => !held.has(k)));
  return { startsAfter: link, omitted: [...omitted].sort(compare) };
};

/**
 * Recompute every hash, check every signature and walk the chain. Every problem is named by key; the report is
 * `ok` when there are no failures (`undigested` objects newer than the last digest are warnings: their digest
 * is not due yet — `until` is what makes an early end of the chain a failure).
 */
export const verifyChain = (objects: readonly StoredObject[], options: VerifyOptions = {}): VerifyReport => {
  const problems: Problem[] = [];
  const fail = (kind: ProblemKind, key: string, detail: string): void => {
    problems.push({ kind, key, detail, level: 'failure' });
  };
  const warn = (kind: ProblemKind, key: string, detail: string): void => {
    problems.push({ kind, key, detail, level: 'warning' });
  };
  const present = new Map<string, StoredObject>();
  for (const o of objects) present.set(o.key, o);
  const evidenceKeys = [...present.keys()].filter(isEvidenceKey).sort(compare);

  // Public keys stored beside the evidence; each must sit at the key its own fingerprint names.
  const stored = new Map<string, Uint8Array>();
  for (const key of [...present.keys()].filter((k) => k.startsWith(KEYS_PREFIX)).sort(compare)) {
    const parsed = parsePublicKey(present.get(key)?.bytes ?? '');
    if (!parsed.ok) fail('bad-key', key, parsed.error);
    else if (publicKeyKey(parsed.fingerprint) !== key) {
      fail('bad-key', key, `holds key ${parsed.fingerprint}, not the key its name says`);
    } else stored.set(parsed.fingerprint, parsed.der);
  }
  const anchors = new Map<string, Uint8Array>();
  for (const der of options.anchors ?? []) anchors.set(keyFingerprint(der), der);
  const anchored = options.anchors !== undefined && options.anchors.length > 0;
  const trusted = anchored ? anchors : stored;
  if (anchored) {
    for (const fingerprint of stored.keys()) {
      if (!anchors.has(fingerprint)) {
        warn('unknown-key', publicKeyKey(fingerprint), 'stored beside the evidence but not among the keys you gave');
      }
    }
  }

  // Digests in key order; keys sort as the periods do.
  const digests: { key: string; sha256: string; digest: ParsedDigest }[] = [];
  let signed = 0;
  for (const key of [...present.keys()].filter((k) => k.startsWith(DIGEST_PREFIX)).sort(compare)) {
    const bytes = present.get(key)?.bytes ?? '';
    const parsed = parseDigest(bytes);
    if (typeof parsed === 'string') {
      fail('altered-digest', key, parsed);
      continue;
    }
    if (digestBody(parsed as Digest) !== text(bytes))
      fail('altered-digest', key, 'bytes are not the digest as written');
    let expectedKey: string | undefined;
    try {
      expectedKey = digestKey(parsed.periodStart);
    } catch {
      expectedKey = undefined;
    }
    if (expectedKey !== key) {
      fail('out-of-order', key, `holds the digest for period ${parsed.periodStart} (expected at ${expectedKey})`);
    }
    const signature = parsed.signature;
    if (signature === undefined) fail('unsigned', key, 'carries no signature');
    else if (!isSignature(signature)) fail('unsigned', key, 'its signature field is malformed');
    else {
      const publicKey = trusted.get(signature.publicKeySha256);
      if (publicKey === undefined) {
        fail(
          'unknown-key',
          key,
          `signed by key ${short(signature.publicKeySha256)} (${signature.keyId}), which is not ${anchored ? 'a key you gave' : `stored beside the evidence (${publicKeyKey(signature.publicKeySha256)})`}`,
        );
      } else if (
        !verifySignature(Buffer.from(signingInput(parsed as Digest)), signature.value, signature.algorithm, publicKey)
      ) {
        fail('bad-signature', key, `signature does not verify with key ${short(signature.publicKeySha256)}`);
      } else signed++;
    }
    // A chain changes signing key only when its writer's key is replaced: worth a look, though not a failure.
    const previousKey = digests.at(-1)?.digest.signature;
    if (
      isSignature(signature) &&
      isSignature(previousKey) &&
      previousKey.publicKeySha256 !== signature.publicKeySha256
    ) {
      warn(
        'key-changed',
        key,
        `signed by key ${short(signature.publicKeySha256)}, the digest before it by ${short(previousKey.publicKeySha256)}`,
      );
    }
    digests.push({ key, sha256: sha256(bytes).hex, digest: parsed });
  }

  // The chain: each digest links to the one before it by key and hash; periods never overlap or go back.
  const digestKeys = new Set(digests.map((d) => d.key));
  digests.forEach((current, i) => {
    const prev = i === 0 ? undefined : digests[i - 1];
    const { previousDigestKey, previousDigestSha256, periodStart } = current.digest;
    if (prev === undefined) {
      const declared = options.excerpt?.startsAfter;
      if (
        previousDigestKey !== null &&
        declared !== undefined &&
        declared !== null &&
        declared.key === previousDigestKey &&
        declared.sha256 === previousDigestSha256 &&
        !digestKeys.has(previousDigestKey)
      ) {
        return; // the excerpt starts here, after the digest its manifest names
      }
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

  // Evidence: every key (each revision of a finding is its own key) must match the latest digest listing it.
  const latest = new Map<string, { entry: DigestEntry; digestKey: string }>();
  for (const d of digests) for (const entry of d.digest.objects) latest.set(entry.key, { entry, digestKey: d.key });
  let verified = 0;
  const omitted = new Set(options.excerpt?.omitted ?? []);
  for (const [key, { entry, digestKey: listedIn }] of [...latest.entries()].sort(([a], [b]) => compare(a, b))) {
    const object = present.get(key);
    if (object === undefined) {
      if (!omitted.has(key)) fail('missing', key, `listed in ${listedIn}, not present`);
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
    const object = present.get(key);
    // The store's write time when it has one (S3 sets it; nobody can choose it), else the finding's own time.
    const writtenAt = object?.writtenAt ?? lastSeenOf(object?.bytes ?? '');
    if (last !== undefined && writtenAt !== undefined && Date.parse(writtenAt) >= Date.parse(last.digest.periodEnd)) {
      warn('undigested', key, `written after the last digest (${last.key}); not yet covered`);
    } else {
      fail('unexpected', key, 'not listed in any digest');
    }
  }

  const chainEnd = last?.digest.periodEnd ?? null;
  if (options.until !== undefined) {
    const until = Date.parse(options.until);
    if (Number.isNaN(until)) throw new Error(`not an ISO-8601 time: ${options.until}`);
    if (chainEnd === null) fail('stale', DIGEST_PREFIX, `no digest at all; the chain must reach ${options.until}`);
    else if (Date.parse(chainEnd) < until) {
      fail(
        'stale',
        last?.key ?? DIGEST_PREFIX,
        `the chain ends ${chainEnd}, before ${new Date(until).toISOString()}: later digests are missing (deleted, or not written)`,
      );
    }
  }

  problems.push(...historyProblems(options.history ?? []));

  return {
    ok: problems.every((p) => p.level === 'warning'),
    digests: digests.length,
    evidence: evidenceKeys.length,
    verified,
    signed,
    trust: { source: anchored ? 'anchor' : 'stored', fingerprints: [...trusted.keys()].sort(compare) },
    chainEnd,
    problems,
  };
};
