import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type {
  ChainExcerpt,
  ObjectHistory,
  ObjectVersion,
  StoredObject,
  VerifyReport,
} from '../../rules/core/digest.ts';
import { HOUR_MS, verifyChain } from '../../rules/core/digest.ts';
import { parsePublicKey, publicKeyKey } from '../../rules/core/signature.ts';
import { parseOptions } from '../args.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

/** How often the digest function runs (infra schedules it hourly, a few minutes past the hour). */
export const DIGEST_CADENCE_MS = HOUR_MS;
/** Slack for a late or retried run before a missing digest counts as a chain cut short. */
export const DIGEST_GRACE_MS = 30 * 60_000;

/** Every file under `dir`, keyed as the bucket keys it (`/`-separated, relative to `dir`). */
export const readTree = (dir: string): StoredObject[] => {
  const out: StoredObject[] = [];
  const visit = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) out.push({ key: relative(dir, full).split(sep).join('/'), bytes: readFileSync(full) });
    }
  };
  visit(dir);
  return out;
};

/** The schema of an export package's manifest.json: `export` writes it, `verify` reads it. */
export const EXPORT_SCHEMA = 'trailwarden.export/v1';

/**
 * The excerpt an export package's manifest.json declares (`trailwarden export`), or undefined for anything else.
 * Only a directory is read this way: a deployed bucket is the whole chain and never an excerpt. The manifest is
 * not signed, so the report says plainly that the package was verified as an excerpt and what it left out.
 */
export const packageExcerpt = (objects: readonly StoredObject[]): ChainExcerpt | undefined => {
  const manifest = objects.find((o) => o.key === 'manifest.json');
  if (manifest === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(manifest.bytes).toString('utf8'));
  } catch {
    throw new Error('manifest.json is not JSON');
  }
  const m = value as { schema?: unknown; excerpt?: { startsAfter?: unknown; omitted?: unknown } } | null;
  if (m === null || typeof m !== 'object' || m.schema !== EXPORT_SCHEMA) return undefined;
  const after = m.excerpt?.startsAfter as { key?: unknown; sha256?: unknown } | null | undefined;
  const omitted = m.excerpt?.omitted;
  const link =
    after !== null && typeof after === 'object' && typeof after.key === 'string' && typeof after.sha256 === 'string'
      ? { key: after.key, sha256: after.sha256 }
      : null;
  if (after !== null && after !== undefined && link === null) throw new Error('manifest.json: bad excerpt.startsAfter');
  if (omitted !== undefined && !(Array.isArray(omitted) && omitted.every((k) => typeof k === 'string'))) {
    throw new Error('manifest.json: excerpt.omitted must be a list of keys');
  }
  return { startsAfter: link, omitted: (omitted as string[] | undefined) ?? [] };
};

/** `s3://bucket/prefix` → bucket and prefix (`''` or ending in `/`). */
export const parseS3Url = (url: string): { bucket: string; prefix: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null) return undefined;
  const [, bucket = '', rest = ''] = match;
  return { bucket, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
};

/** Every current object under `prefix`, keyed relative to it (so an export under a prefix reads as a bucket root). */
export const readS3 = async (client: S3Client, bucket: string, prefix: string): Promise<StoredObject[]> => {
  // Loaded on use: local verification and the other commands do not pay for the S3 client.
  const { GetObjectCommand, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined || item.Key.endsWith('/')) continue;
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: item.Key }));
      const bytes = (await got.Body?.transformToByteArray()) ?? new Uint8Array();
      out.push({
        key: item.Key.slice(prefix.length),
        bytes,
        ...(item.LastModified ? { writtenAt: item.LastModified.toISOString() } : {}),
      });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
};

export type S3Read =
  | { readonly versioned: true; readonly objects: StoredObject[]; readonly history: ObjectHistory[] }
  | { readonly versioned: false; readonly objects: StoredObject[]; readonly reason: string };

const unsupported = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NotImplemented' ||
    e?.name === 'MethodNotAllowed' ||
    e?.$metadata?.httpStatusCode === 405 ||
    e?.$metadata?.httpStatusCode === 501
  );
};

/**
 * Every object under `prefix` with its whole version history (`ListObjectVersions`): in an Object-Lock bucket a
 * plain DELETE only adds a delete marker and an overwrite adds a version, and a current-only listing would hide
 * both. Each key is read at its newest real version (a deleted object's locked bytes are still checked). A store
 * that cannot list versions (an emulator) falls back to current objects, and says so.
 */
export const readS3Versions = async (client: S3Client, bucket: string, prefix: string): Promise<S3Read> => {
  const { GetObjectCommand, ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
  const versions = new Map<string, (ObjectVersion & { readonly isLatest: boolean })[]>();
  const add = (
    item: { Key?: string; VersionId?: string; IsLatest?: boolean; LastModified?: Date },
    deleteMarker: boolean,
  ) => {
    if (item.Key === undefined || item.Key.endsWith('/')) return;
    versions.set(item.Key, [
      ...(versions.get(item.Key) ?? []),
      {
        versionId: item.VersionId ?? 'null',
        deleteMarker,
        lastModified: item.LastModified?.toISOString() ?? '',
        isLatest: item.IsLatest === true,
      },
    ]);
  };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(versionIdMarker === undefined ? {} : { VersionIdMarker: versionIdMarker }),
        }),
      );
      for (const v of page.Versions ?? []) add(v, false);
      for (const m of page.DeleteMarkers ?? []) add(m, true);
      const more = page.IsTruncated === true;
      keyMarker = more ? page.NextKeyMarker : undefined;
      versionIdMarker = more ? page.NextVersionIdMarker : undefined;
    } while (keyMarker !== undefined);
  } catch (err) {
    if (!unsupported(err)) throw err;
    return { versioned: false, objects: await readS3(client, bucket, prefix), reason: message(err) };
  }

  const objects: StoredObject[] = [];
  const history: ObjectHistory[] = [];
  for (const [key, list] of [...versions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Newest first: the latest flag, then time (S3 lists a key's versions newest first already).
    const sorted = [...list].sort(
      (a, b) => Number(b.isLatest) - Number(a.isLatest) || (a.lastModified < b.lastModified ? 1 : -1),
    );
    history.push({
      key: key.slice(prefix.length),
      versions: sorted.map(({ versionId, deleteMarker, lastModified }) => ({ versionId, deleteMarker, lastModified })),
    });
    const newest = sorted.find((v) => !v.deleteMarker);
    if (newest === undefined) continue;
    const got = await client.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(newest.versionId === 'null' ? {} : { VersionId: newest.versionId }),
      }),
    );
    objects.push({
      key: key.slice(prefix.length),
      bytes: (await got.Body?.transformToByteArray()) ?? new Uint8Array(),
      ...(newest.lastModified === '' ? {} : { writtenAt: newest.lastModified }),
    });
  }
  return { versioned: true, objects, history };
};

export interface VerifyDeps {
  /** The client for `s3://` sources (default: the SDK's default credentials, region and endpoint). */
  readonly s3Client?: () => Promise<S3Client>;
  /** The client for `--kms-key-id` (default: the SDK's defaults). */
  readonly kmsClient?: () => Promise<KMSClient>;
  /** Now, for the default freshness of an S3 source. */
  readonly now?: () => number;
}

const defaultS3Client = async (): Promise<S3Client> => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({});
};

const defaultKmsClient = async (): Promise<KMSClient> => {
  const { KMSClient } = await import('@aws-sdk/client-kms');
  return new KMSClient({});
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface ReportContext {
  /** Where the trusted keys came from, as the user named them (files, KMS key ids). */
  readonly anchors: readonly string[];
  readonly until: { readonly iso: string; readonly why: string } | undefined;
  /** For S3 sources: whether object versions were listed. */
  readonly excerpt?: ChainExcerpt;
  readonly versions?:
    | { readonly listed: true; readonly keys: number }
    | { readonly listed: false; readonly reason: string };
}

export const renderReport = (report: VerifyReport, context?: ReportContext): string[] => {
  const lines = report.problems.map(
    (p) => `${p.level === 'warning' ? 'warning' : 'FAIL'} ${p.kind} ${p.key}: ${p.detail}`,
  );
  if (context?.excerpt !== undefined) {
    const { startsAfter, omitted } = context.excerpt;
    lines.push(
      `package: verified as an excerpt of a longer chain (manifest.json): ${startsAfter === null ? 'it starts at the first digest' : `it starts after ${startsAfter.key}, outside the package`}; ${plural(omitted.length, 'listed object')} left out of the selection; verify the source to prove nothing else is missing`,
    );
  }
  if (context !== undefined) {
    const keys = report.trust.fingerprints.map((f) => publicKeyKey(f)).join(', ') || 'none';
    lines.push(
      report.trust.source === 'anchor'
        ? `signatures: ${report.signed} of ${plural(report.digests, 'digest')} verified with the key(s) you gave (${context.anchors.join(', ')})`
        : `signatures: ${report.signed} of ${plural(report.digests, 'digest')} verified ONLY against the public key stored beside the evidence (${keys}); whoever can write there can replace it and re-sign: pass --public-key FILE (the key you keep) or --kms-key-id ID`,
      context.until === undefined
        ? `freshness: not checked (the chain ends ${report.chainEnd ?? 'nowhere: no digests'}); pass --until ISO-TIME to require a chain that reaches it`
        : `freshness: the chain ends ${report.chainEnd ?? 'nowhere (no digests)'}; required to reach ${context.until.iso} (${context.until.why})`,
    );
    if (context.versions !== undefined) {
      lines.push(
        context.versions.listed
          ? `versions: ${plural(context.versions.keys, 'key')} checked for delete markers and second versions`
          : `versions: NOT checked (the store cannot list object versions: ${context.versions.reason}); delete markers and overwrites are invisible here`,
      );
    }
  }
  const failures = report.problems.filter((p) => p.level === 'failure').length;
  const warnings = report.problems.length - failures;
  lines.push(
    `${report.ok ? 'verified' : 'NOT verified'}: ${plural(report.digests, 'digest')}, ${report.verified} of ${plural(report.evidence, 'evidence object')} match the chain; ${plural(failures, 'failure')}, ${plural(warnings, 'warning')}`,
  );
  return lines;
};

const VERIFY_OPTIONS = {
  'public-key': { type: 'string', multiple: true },
  'kms-key-id': { type: 'string', multiple: true },
  until: { type: 'string' },
} as const;

/** ISO-8601 with a date and a time zone (`Z` or an offset), so a time never means the machine's local zone. */
const parseIsoTime = (text: string): number | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) return undefined;
  const ms = Date.parse(/T/.test(text) ? text : `${text}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * `trailwarden verify SOURCE [--public-key FILE]… [--kms-key-id ID]… [--until ISO-TIME]`: 0 when the evidence
 * verifies (warnings allowed), 1 when not, 2 on usage errors.
 */
export const verifyCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: VerifyDeps = {},
): Promise<number> => {
  const parsed = parseOptions(args, VERIFY_OPTIONS);
  if (!parsed.ok || parsed.positionals.length !== 1) {
    errorLine(io, parsed.ok ? 'verify needs exactly one SOURCE (a directory or s3://bucket/prefix)' : parsed.error);
    usage();
    return EXIT.usage;
  }
  const { values } = parsed;
  const source = parsed.positionals[0] ?? '';
  const cwd = io.cwd ?? process.cwd();

  let untilMs: number | undefined;
  if (values.until !== undefined) {
    untilMs = parseIsoTime(values.until);
    if (untilMs === undefined) {
      errorLine(io, `--until must be an ISO-8601 time with a zone (e.g. 2026-11-02T14:00:00Z), got "${values.until}"`);
      return EXIT.usage;
    }
  }

  // The anchors: public keys the auditor keeps, never the copies beside the evidence.
  const anchors: Uint8Array[] = [];
  const anchorNames: string[] = [];
  for (const file of values['public-key'] ?? []) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolve(cwd, file));
    } catch (err) {
      errorLine(io, `${file}: ${message(err)}`);
      return EXIT.usage;
    }
    const key = parsePublicKey(bytes);
    if (!key.ok) {
      errorLine(io, `${file}: ${key.error}`);
      return EXIT.usage;
    }
    anchors.push(key.der);
    anchorNames.push(`${file} = ${publicKeyKey(key.fingerprint)}`);
  }
  for (const keyId of values['kms-key-id'] ?? []) {
    try {
      const { GetPublicKeyCommand } = await import('@aws-sdk/client-kms');
      const out = await (await (deps.kmsClient ?? defaultKmsClient)()).send(new GetPublicKeyCommand({ KeyId: keyId }));
      const key = parsePublicKey(out.PublicKey ?? new Uint8Array());
      if (!key.ok) throw new Error(key.error);
      anchors.push(key.der);
      anchorNames.push(`KMS ${keyId} = ${publicKeyKey(key.fingerprint)}`);
    } catch (err) {
      errorLine(io, `--kms-key-id ${keyId}: ${message(err)}`);
      return EXIT.usage;
    }
  }

  if (source.startsWith('s3://')) {
    const location = parseS3Url(source);
    if (location === undefined) {
      errorLine(io, `${source}: expected s3://bucket/prefix`);
      return EXIT.usage;
    }
    let read: S3Read;
    try {
      read = await readS3Versions(await (deps.s3Client ?? defaultS3Client)(), location.bucket, location.prefix);
    } catch (err) {
      errorLine(io, `${source}: ${message(err)}`);
      return EXIT.usage;
    }
    // The live bucket gets a digest every hour: a chain that stops earlier than that (plus slack) was cut short.
    const now = (deps.now ?? Date.now)();
    const until =
      untilMs !== undefined
        ? { iso: new Date(untilMs).toISOString(), why: '--until' }
        : {
            iso: new Date(now - DIGEST_CADENCE_MS - DIGEST_GRACE_MS).toISOString(),
            why: 'default for a bucket: now minus the hourly cadence and 30 minutes; --until to change',
          };
    const report = verifyChain(read.objects, {
      anchors,
      until: until.iso,
      ...(read.versioned ? { history: read.history } : {}),
    });
    return finish(io, report, {
      anchors: anchorNames,
      until,
      versions: read.versioned ? { listed: true, keys: read.history.length } : { listed: false, reason: read.reason },
    });
  }
  try {
    if (!statSync(source).isDirectory()) {
      errorLine(io, `${source}: not a directory`);
      return EXIT.usage;
    }
  } catch {
    errorLine(io, `${source}: no such file or directory`);
    return EXIT.usage;
  }
  const until = untilMs === undefined ? undefined : { iso: new Date(untilMs).toISOString(), why: '--until' };
  let report: VerifyReport;
  let excerpt: ChainExcerpt | undefined;
  try {
    const objects = readTree(source);
    excerpt = packageExcerpt(objects);
    report = verifyChain(objects, {
      anchors,
      ...(until === undefined ? {} : { until: until.iso }),
      ...(excerpt === undefined ? {} : { excerpt }),
    });
  } catch (err) {
    errorLine(io, `${source}: ${message(err)}`);
    return EXIT.usage;
  }
  return finish(io, report, { anchors: anchorNames, until, ...(excerpt === undefined ? {} : { excerpt }) });
};

const finish = (io: Io, report: VerifyReport, context: ReportContext): number => {
  io.stdout.write(`${renderReport(report, context).join('\n')}\n`);
  return report.ok ? EXIT.ok : EXIT.findings;
};
