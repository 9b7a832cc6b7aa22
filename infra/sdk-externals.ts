import { readFileSync } from 'node:fs';

/**
 * The AWS SDK clients left out of the function bundles (the Lambda runtime provides them): every client this
 * project depends on except DynamoDB. The evaluate function needs DynamoDB before its first record; bundled
 * and minified into one file it loads in about half the time the runtime's copy takes to resolve its few
 * hundred module files (bench `initMs`), at the cost of ~0.5 MB of bundle. The other clients load lazily, on
 * the first finding or drill, and stay the runtime's.
 */
const BUNDLED = new Set(['@aws-sdk/client-dynamodb']);

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
};

export const SDK_EXTERNALS: readonly string[] = Object.keys(manifest.dependencies ?? {})
  .filter((name) => name.startsWith('@aws-sdk/client-') && !BUNDLED.has(name))
  .sort();
