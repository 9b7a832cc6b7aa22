import { readFile } from 'node:fs/promises';
import type { AnonymiserConfig } from '../../../rules/core/config.ts';
import { s3SourceOf } from '../../../rules/core/config.ts';
import type { IntelSource } from '../../../rules/core/detector.ts';
import type { AnonymiserList } from '../../../rules/core/geo.ts';
import { createAnonymiserList, parseAnonymiserList } from '../../../rules/core/geo.ts';

export type AnonymiserListSource = NonNullable<IntelSource['anonymisers']>;

export const DEFAULT_ANONYMISER_TTL_MINUTES = 60;

export interface CachedListOptions {
  /** Reads the list's text from its source (a file, an S3 object). */
  readonly fetch: () => Promise<string>;
  readonly now?: () => number;
  /** A refresh failed and an older copy is served: report it (a log line, a metric). */
  readonly onStale?: (error: string, ageMs: number) => void;
}

/**
 * The configured list, read on the first batch that needs it and again once `ttlMinutes` have passed. Concurrent
 * batches share one read. A refresh that fails (the object unreadable, a line that is not an address) keeps the
 * previous copy in service, reported through `onStale`: a list an attacker cannot reach is still the last good
 * list. With no copy at all the load throws, and the detector retries the events.
 */
export const cachedAnonymiserList = (config: AnonymiserConfig, options: CachedListOptions): AnonymiserListSource => {
  const now = options.now ?? Date.now;
  const ttlMs = (config.ttlMinutes ?? DEFAULT_ANONYMISER_TTL_MINUTES) * 60_000;
  let current: AnonymiserList | undefined;
  let loading: Promise<AnonymiserList> | undefined;
  const read = async (): Promise<AnonymiserList> => {
    const loadedAtMs = now();
    const parsed = parseAnonymiserList(await options.fetch(), config.source);
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    return createAnonymiserList({ name: config.name, source: config.source, loadedAtMs }, parsed.entries);
  };
  const load = (): Promise<AnonymiserList> => {
    if (current !== undefined && now() - current.loadedAtMs < ttlMs) return Promise.resolve(current);
    loading ??= read()
      .then((list) => {
        current = list;
        return list;
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        if (current === undefined) throw err;
        options.onStale?.(error, now() - current.loadedAtMs);
        return current;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  return { source: config.source, load };
};

/** A `file:PATH` list (the CLI): read once per run, a broken file fails the scan's sign-in events loudly. */
export const fileAnonymiserList = (config: AnonymiserConfig): AnonymiserListSource => {
  const path = config.source.replace(/^file:/, '');
  return cachedAnonymiserList({ ...config, ttlMinutes: 1440 }, { fetch: () => readFile(path, 'utf8') });
};

/** Reads an S3 object's body as text; the SDK client is the caller's (loaded lazily in the Lambda). */
export type S3TextReader = (bucket: string, key: string) => Promise<string>;

export const s3AnonymiserList = (
  config: AnonymiserConfig,
  readText: S3TextReader,
  options: Omit<CachedListOptions, 'fetch'> = {},
): AnonymiserListSource => {
  const where = s3SourceOf(config.source);
  if (where === undefined) throw new Error(`anonymisers.source ${config.source} is not s3://bucket/key`);
  return cachedAnonymiserList(config, { ...options, fetch: () => readText(where.bucket, where.key) });
};
