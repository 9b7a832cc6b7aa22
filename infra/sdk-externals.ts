import { readFileSync } from 'node:fs';

/**
 * The AWS SDK clients left out of the function bundles: the Lambda runtime provides them, and the ones the
 * evaluate function needs (S3, SNS, Organizations, Secrets Manager, Security Hub) load lazily, on the first
 * finding, drill or tag lookup. DynamoDB, which every batch needs before its first record, goes through the
 * functions' own lean client (functions/shared/adapters/dynamodb-http.ts: the JSON protocol on node:https, signed
 * by sigv4.ts), not @aws-sdk/client-dynamodb: measured back to back on this machine (loaded, medians of 11), that took
 * the evaluate bundle from 541 KB to 230 KB, its cold init from 468 to 235 ms and its first invoke from 285 to
 * 161 ms (README, "Benchmark"). Every client is listed,
 * DynamoDB included, so a stray runtime import of the SDK's DynamoDB client would load the runtime's copy
 * lazily instead of bundling half a megabyte; the bundle test fails on it either way.
 */
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
};

export const SDK_EXTERNALS: readonly string[] = Object.keys(manifest.dependencies ?? {})
  .filter((name) => name.startsWith('@aws-sdk/client-'))
  .sort();
