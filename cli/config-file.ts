import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigParse } from '../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig } from '../rules/core/config.ts';
import type { SlaParse } from '../rules/core/sla.ts';
import { DEFAULT_SLA, parseSlaConfig } from '../rules/core/sla.ts';
import { message } from './io.ts';

export const DEFAULT_CONFIG_FILE = 'trailwarden.config.json';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that mark a file holding only the detection object (an older layout, still read). */
const BARE_DETECTION_KEYS: readonly string[] = ['criticality', 'approved', 'organization'];

export type ConfigFileRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'read'; readonly raw: unknown }
  | { readonly kind: 'failed'; readonly errors: readonly string[] };

/**
 * A config file's JSON, for every reader of the project file (detection, SLAs, the deploy config). A file the
 * user named must exist; the default one (`optional`) may be absent, and then the caller uses its defaults.
 */
export const readConfigJson = (path: string, optional: boolean): ConfigFileRead => {
  if (optional && !existsSync(path)) return { kind: 'absent' };
  try {
    return { kind: 'read', raw: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'failed', errors: [code === 'ENOENT' ? 'no such file' : `not valid JSON (${message(err)})`] };
  }
};

/**
 * The detection config from a parsed file. The project file (`trailwarden.config.json`, infra/config.ts)
 * nests it under `detection` beside deployment settings (alerts, retention, …) the CLI has no use for; a file
 * holding only the detection object itself works too.
 */
export const detectionConfigFrom = (raw: unknown): ConfigParse => {
  if (!isRecord(raw)) return parseDetectionConfig(raw);
  // `$schema` names the JSON Schema for editors (trailwarden.config.schema.json): ignored, in either layout.
  const { $schema, ...rest } = raw;
  if ($schema !== undefined && typeof $schema !== 'string') {
    return {
      ok: false,
      errors: [`$schema: must be the path or URL of the JSON Schema (got ${JSON.stringify($schema)})`],
    };
  }
  const keys = Object.keys(rest);
  const bare = !('detection' in rest) && keys.length > 0 && keys.every((k) => BARE_DETECTION_KEYS.includes(k));
  return parseDetectionConfig(bare ? rest : rest.detection);
};

/** `--config FILE`, else `trailwarden.config.json` in the working directory if present, else the defaults. */
export const loadDetectionConfig = (
  file: string | undefined,
  cwd: string,
): ConfigParse & { readonly source: string } => {
  const path = file ?? join(cwd, DEFAULT_CONFIG_FILE);
  const read = readConfigJson(path, file === undefined);
  if (read.kind === 'absent') return { ok: true, config: DEFAULT_DETECTION_CONFIG, source: 'defaults' };
  if (read.kind === 'failed') return { ok: false, errors: read.errors, source: path };
  return { ...detectionConfigFrom(read.raw), source: path };
};

/**
 * Response SLAs (top-level `sla` of the project file; the same key infra/config.ts validates) from `--config
 * FILE`, else `trailwarden.config.json` in the working directory if present, else the defaults.
 */
export const loadSlaConfig = (file: string | undefined, cwd: string): SlaParse & { readonly source: string } => {
  const path = file ?? join(cwd, DEFAULT_CONFIG_FILE);
  const read = readConfigJson(path, file === undefined);
  if (read.kind === 'absent') return { ok: true, sla: DEFAULT_SLA, source: 'defaults' };
  if (read.kind === 'failed') return { ok: false, errors: read.errors, source: path };
  const sla = isRecord(read.raw) ? read.raw.sla : undefined;
  return { ...parseSlaConfig(sla), source: path };
};
