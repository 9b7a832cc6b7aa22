import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseOptions } from '../args.ts';
import type { RuleDocEntry } from '../format/rules-markdown.ts';
import { renderRulesMarkdown } from '../format/rules-markdown.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';

export const DEFAULT_DOCS_OUT = 'docs/RULES.md';

/** Exit code of `docs --check` when the file is missing or differs from what would be generated. */
export const DOCS_STALE = 1;

const DOCS_OPTIONS = { out: { type: 'string' }, check: { type: 'boolean' } } as const;

const readIfPresent = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** `trailwarden docs [--out FILE] [--check]`: writes (or checks) the generated rule documentation. */
export const docsCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  entries?: readonly RuleDocEntry[],
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, DOCS_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  if (parsed.positionals.length > 0) return fail(`docs takes no arguments (got ${parsed.positionals.join(' ')})`);
  const out = parsed.values.out ?? DEFAULT_DOCS_OUT;
  if (out.length === 0) return fail('--out needs a file name');
  const path = resolve(io.cwd ?? process.cwd(), out);
  const catalogue =
    entries ??
    (await (async () => {
      const { RULES } = await import('../../rules/index.ts');
      const { withDocs } = await import('../../rules/docs.ts');
      return withDocs(RULES);
    })());
  const text = renderRulesMarkdown(catalogue);
  if (parsed.values.check === true) {
    const current = readIfPresent(path);
    if (current === text) {
      io.stdout.write(`${out} is up to date\n`);
      return EXIT.ok;
    }
    const why = current === undefined ? 'is missing' : 'is out of date';
    errorLine(io, `${out} ${why}: regenerate it with \`npm run docs\` (trailwarden docs --out ${out})`);
    return DOCS_STALE;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (err) {
    errorLine(io, `cannot write ${out}: ${message(err)}`);
    return EXIT.usage;
  }
  io.stdout.write(`wrote ${out} (${catalogue.length} rule${catalogue.length === 1 ? '' : 's'})\n`);
  return EXIT.ok;
};
