import type { DetectionConfig } from './config.ts';
import type { AccountCriticalitySource, Clock } from './ports.ts';
import type { Criticality } from './vocabulary.ts';

/**
 * Criticality per account from Organizations account tags (issue #13), merged under the config: an account the
 * config names keeps its configured level, whatever its tag says (an account admin can retag their own
 * account; the config is reviewed and deployed). Pure apart from the source and cache below.
 */

/** The tag key read (case-insensitive), and the values understood (case-insensitive). */
export const CRITICALITY_TAG = 'criticality';

export const criticalityFromTags = (tags: readonly { readonly Key?: string; readonly Value?: string }[]) => {
  const tag = tags.find((t) => t.Key?.toLowerCase() === CRITICALITY_TAG);
  const value = tag?.Value?.trim().toLowerCase();
  return value === 'high' || value === 'medium' || value === 'low' ? (value as Criticality) : undefined;
};

/** The config with tag levels for accounts it does not name; config wins. */
export const mergeAccountCriticality = (
  config: DetectionConfig,
  fromTags: Readonly<Record<string, Criticality>>,
): DetectionConfig => {
  const added = Object.entries(fromTags).filter(([account]) => config.criticality.accounts[account] === undefined);
  if (added.length === 0) return config;
  return {
    ...config,
    criticality: { ...config.criticality, accounts: { ...Object.fromEntries(added), ...config.criticality.accounts } },
  };
};

/**
 * A source that asks the inner one at most once per account per `ttlMs` (misses and failures included: a failed
 * read is retried after `retryMs`, so a throttled Organizations API is not hammered once per batch).
 */
export const cachedAccountCriticality = (
  inner: AccountCriticalitySource,
  clock: Clock,
  ttlMs: number,
  retryMs = 60_000,
): AccountCriticalitySource & { readonly size: () => number } => {
  const cache = new Map<string, { readonly level: Criticality | undefined; readonly until: number }>();
  const pending = new Map<string, Promise<Criticality | undefined>>();
  return {
    size: () => cache.size,
    criticalityOf: async (account) => {
      const now = clock.now();
      const hit = cache.get(account);
      if (hit !== undefined && hit.until > now) return hit.level;
      const inFlight = pending.get(account);
      if (inFlight) return inFlight;
      const read = inner
        .criticalityOf(account)
        .then((level) => {
          cache.set(account, { level, until: now + ttlMs });
          return level;
        })
        .catch((err: unknown) => {
          cache.set(account, { level: hit?.level, until: now + retryMs });
          throw err;
        })
        .finally(() => pending.delete(account));
      pending.set(account, read);
      return read;
    },
  };
};

/**
 * The tag levels of the accounts of a batch that the config does not name. Failures are returned, not thrown:
 * the batch is judged with the configured levels and the caller counts the failure.
 */
export const accountLevels = async (
  config: DetectionConfig,
  accounts: readonly string[],
  source: AccountCriticalitySource,
): Promise<{ readonly levels: Record<string, Criticality>; readonly errors: readonly string[] }> => {
  const levels: Record<string, Criticality> = {};
  const errors: string[] = [];
  const wanted = [...new Set(accounts)].filter((a) => config.criticality.accounts[a] === undefined);
  await Promise.all(
    wanted.map(async (account) => {
      try {
        const level = await source.criticalityOf(account);
        if (level !== undefined) levels[account] = level;
      } catch (err) {
        errors.push(`${account}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return { levels, errors };
};
