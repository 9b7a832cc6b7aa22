import { readFileSync } from 'node:fs';

/** The package version, for OCSF `metadata.product.version`; absent rather than wrong if unreadable. */
export const productVersion = (): string | undefined => {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
      ? pkg.version
      : undefined;
  } catch {
    return undefined;
  }
};
