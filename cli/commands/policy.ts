import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigContext, TrailwardenConfigParse } from '../../infra/config.ts';
import { CONTEXT_KEYS, parseConfig } from '../../infra/config.ts';
import type { Rule } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import { DEFAULT_CONFIG_FILE, readConfigJson } from '../config-file.ts';
import { buildPolicy, renderPolicyHtml, renderPolicyMarkdown } from '../format/policy.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

/** The committed policy of the example config, checked by `docs --check` like docs/RULES.md. */
export const POLICY_DOC_PATH = fileURLToPath(new URL('../../docs/POLICY.md', import.meta.url));
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/trailwarden.config.json', import.meta.url));

const FORMATS = ['md', 'html'] as const;
type PolicyFormat = (typeof FORMATS)[number];
const isFormat = (v: string): v is PolicyFormat => (FORMATS as readonly string[]).includes(v);

const POLICY_OPTIONS = {
  config: { type: 'string' },
  context: { type: 'string', short: 'c', multiple: true },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;

/**
 * `-c KEY=VALUE` pairs, read as `cdk deploy -c` reads them (same keys, same string forms), so the policy describes
 * the deploy that was actually run with overrides. `configFile` is `--config`'s job here.
 */
export const parseContextPairs = (
  pairs: readonly string[],
): { readonly ok: true; readonly context: ConfigContext } | { readonly ok: false; readonly error: string } => {
  const context: Record<string, string> = {};
  const keys = CONTEXT_KEYS.filter((k) => k !== 'configFile');
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 1) return { ok: false, error: `-c needs KEY=VALUE (got ${JSON.stringify(pair)})` };
    if (!(keys as readonly string[]).includes(key)) {
      return { ok: false, error: `-c ${key}: not a Trailwarden config key (known keys: ${keys.join(', ')})` };
    }
    context[key] = pair.slice(eq + 1);
  }
  return { ok: true, context };
};

/**
 * The deploy config exactly as `cdk synth` validates it (infra/config.ts `parseConfig`, no -c overrides): from
 * FILE, else ./trailwarden.config.json if present, else the defaults (what an unconfigured deploy runs).
 */
export const readDeployConfig = (
  file: string | undefined,
  cwd: string,
  context: ConfigContext = {},
): TrailwardenConfigParse & { readonly source: string } => {
  const path = file === undefined ? join(cwd, DEFAULT_CONFIG_FILE) : resolve(cwd, file);
  const read = readConfigJson(path, file === undefined);
  if (read.kind === 'absent') return { ...parseConfig(undefined, context), source: 'defaults' };
  if (read.kind === 'failed') return { ok: false, errors: read.errors, source: path };
  return { ...parseConfig(read.raw, context), source: path };
};

/** The policy text of a parsed config file's JSON: what docs/POLICY.md holds for the example config. */
export const policyMarkdownOf = (fileJson: unknown, rules: readonly Rule[]): string => {
  const parsed = parseConfig(fileJson);
  if (!parsed.ok) throw new Error(`invalid config:\n  ${parsed.errors.join('\n  ')}`);
  return renderPolicyMarkdown(buildPolicy(parsed.config, rules));
};

/** `trailwarden policy [--config FILE] [-c KEY=VALUE …] [--format md|html] [--out FILE]`. */
export const policyCommand = async (args: readonly string[], io: Io, usage: () => void): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, POLICY_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  if (parsed.positionals.length > 0) return fail(`policy takes no arguments (got ${parsed.positionals.join(' ')})`);
  const format = parsed.values.format ?? 'md';
  if (!isFormat(format)) return fail(`--format must be one of ${FORMATS.join(', ')} (got ${format})`);
  const out = parsed.values.out;
  if (out !== undefined && out.length === 0) return fail('--out needs a file name');
  const cwd = io.cwd ?? process.cwd();
  const context = parseContextPairs(parsed.values.context ?? []);
  if (!context.ok) return fail(context.error);
  const config = readDeployConfig(parsed.values.config, cwd, context.context);
  if (!config.ok) {
    for (const e of config.errors) errorLine(io, `${config.source}: ${e}`);
    return EXIT.usage;
  }
  const { RULES } = await import('../../rules/index.ts');
  const doc = buildPolicy(config.config, RULES);
  const text = format === 'html' ? renderPolicyHtml(doc) : renderPolicyMarkdown(doc);
  if (out === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  const path = resolve(cwd, out);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    errorLine(io, `cannot write ${out}: ${message(err)}`);
    return EXIT.usage;
  }
  io.stdout.write(`wrote ${out} (${doc.sections.length} sections, config: ${config.source})\n`);
  return EXIT.ok;
};
