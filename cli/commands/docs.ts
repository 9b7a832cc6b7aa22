import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drillCaseTable } from '../../rules/core/drill.ts';
import { observationRules } from '../../rules/core/observation-rules.ts';
import { pipelineChecks } from '../../rules/core/pipeline-checks.ts';
import type { Rule, RuleDocs } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import type { RuleDocEntry } from '../format/rules-markdown.ts';
import { renderRulesMarkdown } from '../format/rules-markdown.ts';
import { renderSelectors, SELECTORS_FILE } from '../format/selectors.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';
import { EXAMPLE_CONFIG_PATH, POLICY_DOC_PATH, policyMarkdownOf } from './policy.ts';

export const DEFAULT_DOCS_OUT = 'docs/RULES.md';

/** The evaluate function's rule text (descriptions, runbooks), generated beside its handler in this repository. */
const RULE_TEXT_PATH = fileURLToPath(new URL('../../functions/evaluate/rule-text.json', import.meta.url));
/** The drill function's cases (positive cases of the rules it drills), generated beside its handler. */
const DRILL_CASES_PATH = fileURLToPath(new URL('../../functions/drill/drill-cases.json', import.meta.url));
/** The evaluate function's lazy catalogue dispatches on these before loading a rule (rules/core/lazy-catalogue.ts). */
const SELECTORS_PATH = fileURLToPath(new URL(`../../${SELECTORS_FILE}`, import.meta.url));

export const renderDrillCases = (entries: readonly (readonly [Rule, RuleDocs])[]): string =>
  `${JSON.stringify(drillCaseTable(entries), null, 1)}\n`;

export const renderRuleText = (entries: readonly RuleDocEntry[]): string =>
  `${JSON.stringify(
    Object.fromEntries(entries.map(([rule, d]) => [rule.id, { description: d.description, runbook: d.runbook }])),
    null,
    1,
  )}\n`;

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
  const full =
    entries === undefined
      ? await (async () => {
          const { RULES } = await import('../../rules/index.ts');
          const { withDocs } = await import('../../rules/docs.ts');
          return withDocs(RULES);
        })()
      : undefined;
  const catalogue: readonly RuleDocEntry[] = entries ?? full ?? [];
  // The rule text ships with the function only for the registered catalogue (tests pass their own entries).
  const outputs = [
    {
      name: out,
      path,
      // The registered catalogue's page also lists the rules over observations and the pipeline's own findings.
      text: renderRulesMarkdown(
        catalogue,
        entries === undefined ? observationRules() : [],
        entries === undefined ? pipelineChecks() : [],
      ),
    },
    ...(full !== undefined
      ? [
          {
            name: relative(io.cwd ?? process.cwd(), RULE_TEXT_PATH),
            path: RULE_TEXT_PATH,
            text: renderRuleText(catalogue),
          },
          {
            name: relative(io.cwd ?? process.cwd(), DRILL_CASES_PATH),
            path: DRILL_CASES_PATH,
            text: renderDrillCases(full),
          },
          {
            name: relative(io.cwd ?? process.cwd(), SELECTORS_PATH),
            path: SELECTORS_PATH,
            text: renderSelectors(full.map(([rule]) => rule)),
          },
          {
            // The example config's policy (trailwarden policy), kept current like the rule page.
            name: relative(io.cwd ?? process.cwd(), POLICY_DOC_PATH),
            path: POLICY_DOC_PATH,
            text: policyMarkdownOf(
              JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')),
              full.map(([rule]) => rule),
            ),
          },
        ]
      : []),
  ];
  if (parsed.values.check === true) {
    let stale = false;
    for (const o of outputs) {
      const current = readIfPresent(o.path);
      if (current === o.text) {
        io.stdout.write(`${o.name} is up to date\n`);
        continue;
      }
      stale = true;
      const why = current === undefined ? 'is missing' : 'is out of date';
      errorLine(io, `${o.name} ${why}: regenerate it with \`npm run docs\` (trailwarden docs --out ${out})`);
    }
    return stale ? DOCS_STALE : EXIT.ok;
  }
  for (const o of outputs) {
    try {
      mkdirSync(dirname(o.path), { recursive: true });
      writeFileSync(o.path, o.text);
    } catch (err) {
      errorLine(io, `cannot write ${o.name}: ${message(err)}`);
      return EXIT.usage;
    }
    io.stdout.write(`wrote ${o.name} (${catalogue.length} rule${catalogue.length === 1 ? '' : 's'})\n`);
  }
  return EXIT.ok;
};
