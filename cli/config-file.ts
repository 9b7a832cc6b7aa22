import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigParse } from '../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG, parseDetectionConfig } from '../rules/core/config.ts';
import type { SlaParse } from '../rules/core/sla.ts';
import { DEFAULT_SLA, parseSlaConfig } from '../rules/core/sla.ts';
import { message } from './io.ts';

export const DEFAULT_CONFIG_FILE = 'trailwarden.config.json';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const DETECTION_KEYS: readonly string[] = ['criticality', 'approved', 'organization'];

/**
 * The detection config from a parsed file. The project file (`trailwarden.config.json`, infra/config.ts)
 * nests it under `detection` beside deployment settings (alerts, retention, …) the CLI has no use for; a file
 * holding only the detection object itself works too.
 */
export const detectionConfigFrom = (raw: unknown): ConfigParse => {
  if (!isRecord(raw)) return parseDetectionConfig(raw);
  const keys = Object.keys(raw);
  const bare = !('detection' in raw) && keys.length > 0 && keys.every((k) => DETECTION_KEYS.includes(k));
  return parseDetectionConfig(bare ? raw : raw.detection);
};

/** `--config FILE`, else `trailwarden.config.json` in the working directory if present, else the defaults. */
export const loadDetectionConfig = (
  file: string | undefined,
  cwd: string,
): ConfigParse & { readonly source: string } => {
  const path = file ?? join(cwd, DEFAULT_CONFIG_FILE);
  if (file === undefined && !existsSync(path))
    return { ok: true, config: DEFAULT_DETECTION_CONFIG, source: 'defaults' };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [code === 'ENOENT' ? 'no such file' : `not valid JSON (${reason})`],
      source: path,
    };
  }
  return { ...detectionConfigFrom(raw), source: path };
};

/**
 * Response SLAs (top-level `sla` of the project file; the same key infra/config.ts validates) from `--config
 * FILE`, else `trailwarden.config.json` in the working directory if present, else the defaults.
 */
export const loadSlaConfig = (file: string | undefined, cwd: string): SlaParse & { readonly source: string } => {
  const path = file ?? join(cwd, DEFAULT_CONFIG_FILE);
  if (file === undefined && !existsSync(path)) return { ok: true, sla: DEFAULT_SLA, source: 'defaults' };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      errors: [code === 'ENOENT' ? 'no such file' : `not valid JSON (${message(err)})`],
      source: path,
    };
  }
  const sla = isRecord(raw) ? raw.sla : undefined;
  return { ...parseSlaConfig(sla), source: path };
};
