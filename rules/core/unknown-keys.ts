/**
 * Each key of a config section that is not one of `known` is an error, reported at `prefix + key`: a typo must not
 * silently configure nothing. The deploy config's errors list the known keys (`'listing'`); the detection config's
 * sections say only `unknown key` (`'bare'`), as they always have. A leaf module: every parser imports it, it
 * imports nothing.
 */
export const unknownKeys = (
  section: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  at: (path: string, msg: string) => void,
  style: 'listing' | 'bare' = 'listing',
): void => {
  for (const key of Object.keys(section)) {
    if (!known.includes(key))
      at(prefix + key, style === 'bare' ? 'unknown key' : `unknown key (known keys: ${known.join(', ')})`);
  }
};
