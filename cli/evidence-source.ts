import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { putOnce } from '../functions/shared/adapters/s3-put-once.ts';
import type { Digest, StoredObject } from '../rules/core/digest.ts';
import { buildDigest, DIGEST_PREFIX, hourOf } from '../rules/core/digest.ts';
import { sha256 } from '../rules/core/evidence.ts';
import type { DigestSigner } from '../rules/core/signature.ts';
import { keyFingerprint, publicKeyKey, publicKeyPem } from '../rules/core/signature.ts';
import { parseS3Url, readS3, readTree } from './commands/verify.ts';
import { message } from './io.ts';
import { defaultSigningKeyPath, loadSigningKey } from './signing-key.ts';

/**
 * Where the response-loop commands (triage, review) read evidence and append to it: an `--evidence` directory
 * or the deployed bucket (`s3://BUCKET/PREFIX`, with the operator's own credentials). Both are append-only: an
 * existing key is never rewritten. A directory has no digest function, so `seal` chains what was appended into
 * a new digest, exactly as the hourly function would; in S3 the digest function does that within the hour.
 */
export interface EvidenceSource {
  readonly label: string;
  readonly kind: 'dir' | 's3';
  read(): Promise<StoredObject[]>;
  /** `exists` when the key is already there (a retried command): nothing is written. */
  put(key: string, body: string): Promise<'written' | 'exists'>;
  /** Chain what `put` wrote (directories only); returns the digest key written, if any. */
  seal(): Promise<string | undefined>;
}

export interface SourceDeps {
  /** The client for `s3://` sources (default: the SDK's default credential chain, region and endpoint). */
  readonly s3Client?: () => Promise<S3Client>;
  /** The moment appended objects count as written (default: now). */
  readonly now?: () => number;
  /** Where the default digest signing key is looked up (`$XDG_CONFIG_HOME`, `$HOME`; default: the process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The operator's default local signing key (generated on first use), or a thrown error naming the problem. */
const defaultSigner = (dir: string, env: Readonly<Record<string, string | undefined>>): DigestSigner => {
  const key = loadSigningKey({ path: resolve(defaultSigningKeyPath(env)), explicit: false, evidenceDir: resolve(dir) });
  if (!key.ok) throw new Error(key.error);
  return key.signer;
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const text = (bytes: string | Uint8Array): string =>
  typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8');

/** The latest digest of a directory's chain, if any. */
const lastDigest = (objects: readonly StoredObject[]) => {
  const latest = objects
    .filter((o) => o.key.startsWith(DIGEST_PREFIX))
    .sort((a, b) => compare(a.key, b.key))
    .at(-1);
  if (latest === undefined) return undefined;
  const digest = JSON.parse(text(latest.bytes)) as Digest;
  return { key: latest.key, sha256: sha256(latest.bytes).hex, periodEnd: digest.periodEnd };
};

/**
 * A directory's chain is signed like `scan --evidence` signs it: with the operator's local key (kept outside the
 * directory), whose public half is added under `keys/` when it is not there yet.
 */
export const createDirSource = (
  dir: string,
  now: () => number = Date.now,
  signer: () => DigestSigner = () => defaultSigner(dir, process.env),
): EvidenceSource => {
  const written: StoredObject[] = [];
  const pathOf = (key: string): string => join(dir, ...key.split('/'));
  return {
    label: dir,
    kind: 'dir',
    read: async () => readTree(dir),
    put: async (key, body) => {
      const path = pathOf(key);
      if (existsSync(path)) return 'exists';
      mkdirSync(dirname(path), { recursive: true });
      // `wx`: never replace an object, even one that appeared since the check.
      writeFileSync(path, body, { flag: 'wx' });
      written.push({ key, bytes: body });
      return 'written';
    },
    seal: async () => {
      if (written.length === 0) return undefined;
      const previous = lastDigest(readTree(dir));
      // The period the objects were written in, from the chain's last period end (so the chain never goes back)
      // to now: shorter than the Lambda's hours, so a run of commands in one hour never dates a digest ahead.
      const nowMs = Math.floor(now() / 1000) * 1000;
      let start = Date.parse(hourOf(new Date(nowMs).toISOString()));
      if (previous !== undefined) start = Math.max(start, Date.parse(previous.periodEnd));
      const key = signer();
      const built = await buildDigest(
        {
          periodStart: new Date(start).toISOString(),
          periodEnd: new Date(Math.max(start, nowMs) + 1000).toISOString(),
          objects: written.splice(0),
          previous: previous === undefined ? null : { key: previous.key, sha256: previous.sha256 },
        },
        key,
      );
      const der = await key.publicKey();
      const keyPath = pathOf(publicKeyKey(keyFingerprint(der)));
      if (!existsSync(keyPath)) {
        mkdirSync(dirname(keyPath), { recursive: true });
        writeFileSync(keyPath, publicKeyPem(der), { flag: 'wx' });
      }
      const path = pathOf(built.key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, built.body, { flag: 'wx' });
      return built.key;
    },
  };
};

export const createS3Source = (client: S3Client, bucket: string, prefix: string): EvidenceSource => ({
  label: `s3://${bucket}/${prefix}`,
  kind: 's3',
  read: () => readS3(client, bucket, prefix),
  // Append-only: a second write of the key (a retry, or anyone else) is refused, not a new version.
  put: async (key, body) =>
    (
      await putOnce(client, {
        bucket,
        key: `${prefix}${key}`,
        body,
        contentType: key.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json',
      })
    ).outcome,
  // The hourly digest function chains objects in the bucket.
  seal: async () => undefined,
});

/** An S3 client for `--endpoint-url` (an S3-compatible endpoint such as a local emulator), else the default. */
export const s3ClientFor = (endpointUrl: string | undefined) => async (): Promise<S3Client> => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return endpointUrl === undefined
    ? new S3Client({})
    : new S3Client({
        endpoint: endpointUrl,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
};

/** `--source DIR|s3://BUCKET/PREFIX` → a source, or the error line to print. */
export const openSource = async (
  source: string,
  cwd: string,
  deps: SourceDeps & { readonly endpointUrl?: string },
): Promise<{ ok: true; source: EvidenceSource } | { ok: false; error: string }> => {
  if (source.startsWith('s3://')) {
    const location = parseS3Url(source);
    if (location === undefined || location.bucket === '') {
      return { ok: false, error: `${source}: expected s3://bucket/prefix` };
    }
    try {
      const client = await (deps.s3Client ?? s3ClientFor(deps.endpointUrl))();
      return { ok: true, source: createS3Source(client, location.bucket, location.prefix) };
    } catch (err) {
      return { ok: false, error: `${source}: ${message(err)}` };
    }
  }
  const dir = resolve(cwd, source);
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, error: `${source}: not a directory` };
  } catch {
    return { ok: false, error: `${source}: no such file or directory` };
  }
  return { ok: true, source: createDirSource(dir, deps.now, () => defaultSigner(dir, deps.env ?? process.env)) };
};
