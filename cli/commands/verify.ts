import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { StoredObject, VerifyReport } from '../../rules/core/digest.ts';
import { verifyChain } from '../../rules/core/digest.ts';
import { parseOptions } from '../args.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

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

/** `s3://bucket/prefix` → bucket and prefix (`''` or ending in `/`). */
export const parseS3Url = (url: string): { bucket: string; prefix: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (match === null) return undefined;
  const [, bucket = '', rest = ''] = match;
  return { bucket, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
};

/** Every object under `prefix`, keyed relative to it (so an export under a prefix reads as a bucket root). */
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
      out.push({ key: item.Key.slice(prefix.length), bytes });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
};

export interface VerifyDeps {
  /** The client for `s3://` sources (default: the SDK's default credentials, region and endpoint). */
  readonly s3Client?: () => Promise<S3Client>;
}

const defaultS3Client = async (): Promise<S3Client> => {
  const { S3Client } = await import('@aws-sdk/client-s3');
  return new S3Client({});
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const renderReport = (report: VerifyReport): string[] => {
  const lines = report.problems.map(
    (p) => `${p.level === 'warning' ? 'warning' : 'FAIL'} ${p.kind} ${p.key}: ${p.detail}`,
  );
  const failures = report.problems.filter((p) => p.level === 'failure').length;
  const warnings = report.problems.length - failures;
  lines.push(
    `${report.ok ? 'verified' : 'NOT verified'}: ${plural(report.digests, 'digest')}, ${report.verified} of ${plural(report.evidence, 'evidence object')} match the chain; ${plural(failures, 'failure')}, ${plural(warnings, 'warning')}`,
  );
  return lines;
};

/** `trailwarden verify SOURCE`: 0 when the evidence verifies (warnings allowed), 1 when not, 2 on usage errors. */
export const verifyCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: VerifyDeps = {},
): Promise<number> => {
  const parsed = parseOptions(args, {});
  if (!parsed.ok || parsed.positionals.length !== 1) {
    errorLine(io, parsed.ok ? 'verify needs exactly one SOURCE (a directory or s3://bucket/prefix)' : parsed.error);
    usage();
    return EXIT.usage;
  }
  const source = parsed.positionals[0] ?? '';
  if (source.startsWith('s3://')) {
    const location = parseS3Url(source);
    if (location === undefined) {
      errorLine(io, `${source}: expected s3://bucket/prefix`);
      return EXIT.usage;
    }
    let objects: StoredObject[];
    try {
      objects = await readS3(await (deps.s3Client ?? defaultS3Client)(), location.bucket, location.prefix);
    } catch (err) {
      errorLine(io, `${source}: ${message(err)}`);
      return EXIT.usage;
    }
    return finish(io, verifyChain(objects));
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
  let report: VerifyReport;
  try {
    report = verifyChain(readTree(source));
  } catch (err) {
    errorLine(io, `${source}: ${message(err)}`);
    return EXIT.usage;
  }
  return finish(io, report);
};

const finish = (io: Io, report: VerifyReport): number => {
  io.stdout.write(`${renderReport(report).join('\n')}\n`);
  return report.ok ? EXIT.ok : EXIT.findings;
};
