import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { RULES } from '../rules/index.ts';
import { buildTrailwarden } from './build-app.ts';
import type { ConfigContext, TrailwardenConfig } from './config.ts';
import { CONTEXT_KEYS, loadConfig } from './config.ts';

const DEFAULT_CONFIG_FILE = fileURLToPath(new URL('../trailwarden.config.json', import.meta.url));

const app = new App();
const context: ConfigContext = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)]));

/** Reads the config file (optional unless named with -c configFile=…) and applies the -c overrides. */
const readConfig = (): TrailwardenConfig => {
  const explicit = context.configFile;
  if (explicit !== undefined && typeof explicit !== 'string') {
    throw new Error(`configFile: must be a path (got ${JSON.stringify(explicit)})`);
  }
  const file = explicit === undefined ? DEFAULT_CONFIG_FILE : resolve(explicit);
  if (explicit === undefined && !existsSync(file)) {
    return loadConfig(undefined, context, 'trailwarden config (no trailwarden.config.json; defaults and -c values)');
  }
  if (!existsSync(file)) throw new Error(`configFile: ${file} does not exist (from -c configFile=${explicit})`);
  let fileJson: unknown;
  try {
    fileJson = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return loadConfig(fileJson, context, `${file} (with -c values)`);
};

let config: TrailwardenConfig;
try {
  config = readConfig();
} catch (err) {
  // A configuration mistake is the user's to fix: print the message, not a stack trace.
  console.error(`trailwarden: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

buildTrailwarden(
  app,
  config,
  RULES.map((rule) => rule.on),
);
