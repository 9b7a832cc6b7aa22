import type { Criticality, EventSelector, Rule, RuleTextSource, Severity, WindowSpec } from '../../rules/core/types.ts';
import { CRITICALITIES, isCloudTrailSelector } from '../../rules/core/types.ts';
import { parseOptions } from '../args.ts';
import { paintSeverity } from '../format/table.ts';
import type { Column } from '../format/text-table.ts';
import { renderTable } from '../format/text-table.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine } from '../io.ts';

/** A rule as data: everything but its functions, as `rules --format json` prints it. */
export interface RuleSummary {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly escalation: Partial<Record<Criticality, Severity>>;
  readonly controls: readonly string[];
  readonly mitre: readonly string[];
  readonly on: EventSelector;
  readonly threshold: {
    readonly count: number;
    readonly windowSeconds: number;
    readonly byCriticality?: Partial<Record<Criticality, WindowSpec>>;
    readonly distinct: boolean;
  } | null;
  readonly dedupWindowSeconds: number;
  readonly owner: string;
}

export const ruleSummary = (rule: Rule, text: RuleTextSource): RuleSummary => ({
  id: rule.id,
  title: rule.title,
  description: text(rule.id)?.description ?? rule.title,
  severity: rule.severity,
  escalation: rule.escalation,
  controls: rule.controls,
  mitre: rule.mitre,
  on: rule.on,
  threshold:
    rule.threshold === null
      ? null
      : {
          count: rule.threshold.count,
          windowSeconds: rule.threshold.windowSeconds,
          ...(rule.threshold.byCriticality === undefined ? {} : { byCriticality: rule.threshold.byCriticality }),
          distinct: rule.threshold.distinct !== undefined,
        },
  dedupWindowSeconds: rule.dedup.windowSeconds,
  owner: rule.owner,
});

/** `cloudtrail: StopLogging, DeleteTrail`, `config item change: AWS::S3::Bucket`. */
export const describeOn = (on: EventSelector): string => {
  if (isCloudTrailSelector(on)) {
    const names = on.eventNames === '*' ? '*' : on.eventNames.join(', ');
    const where = [
      ...(on.where?.userIdentityType ? [`userIdentity.type=${on.where.userIdentityType.join('|')}`] : []),
      ...(on.where?.errorCode ? [`errorCode=${on.where.errorCode.join('|')}`] : []),
      ...(on.where?.userAgentContains ? [`userAgent contains ${on.where.userAgentContains.join('|')}`] : []),
    ];
    return `${on.source}: ${names}${where.length > 0 ? ` [${where.join(', ')}]` : ''}`;
  }
  if ('resourceTypes' in on) return `config item change: ${on.resourceTypes.join(', ')}`;
  return 'config compliance change';
};

const window = (w: WindowSpec): string => `${w.count} in ${w.windowSeconds}s`;

/** `5 in 600s (high: 3 in 300s, low: 10 in 900s)`, or `-` for single-event rules. */
export const describeThreshold = (rule: Rule): string => {
  const t = rule.threshold;
  if (t === null) return '-';
  const levels = CRITICALITIES.flatMap((c) => {
    const w = t.byCriticality?.[c];
    return w === undefined ? [] : [`${c}: ${window(w)}`];
  });
  const distinct = t.distinct === undefined ? '' : ' distinct';
  return `${window(t)}${distinct}${levels.length > 0 ? ` (${levels.join(', ')})` : ''}`;
};

/** `high (high→critical, low→medium)`. */
export const describeSeverity = (rule: Rule): string => {
  const steps = CRITICALITIES.flatMap((c) => {
    const s = rule.escalation[c];
    return s === undefined || s === rule.severity ? [] : [`${c}→${s}`];
  });
  return steps.length === 0 ? rule.severity : `${rule.severity} (${steps.join(', ')})`;
};

const COLUMNS: readonly Column<Rule>[] = [
  { header: 'ID', cell: (r) => r.id },
  { header: 'SEVERITY', cell: describeSeverity, paint: (text, r) => paintSeverity(text, r.severity) },
  { header: 'CONTROLS', cell: (r) => r.controls.join(', ') },
  { header: 'ON', cell: (r) => describeOn(r.on), max: 60 },
  { header: 'THRESHOLD', cell: describeThreshold, max: 48 },
  { header: 'TITLE', cell: (r) => r.title },
];

export const renderRules = (
  rules: readonly Rule[],
  format: 'table' | 'json',
  colour: boolean,
  text: RuleTextSource = () => undefined,
): string[] =>
  format === 'json'
    ? [
        JSON.stringify(
          rules.map((r) => ruleSummary(r, text)),
          null,
          2,
        ),
      ]
    : [...renderTable(COLUMNS, rules, colour), '', `${rules.length} rule${rules.length === 1 ? '' : 's'}`];

const catalogueText = async (rules: readonly Rule[]): Promise<RuleTextSource> => {
  const { ruleTextFrom, ruleTextTable, withDocs } = await import('../../rules/docs.ts');
  return ruleTextFrom(ruleTextTable(await withDocs(rules)));
};

const RULES_OPTIONS = { format: { type: 'string' } } as const;

/** `trailwarden rules …`: returns the exit code. The catalogue loads only when it is listed. */
export const rulesCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  rules?: readonly Rule[],
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, RULES_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  if (parsed.positionals.length > 0) return fail(`rules takes no arguments (got ${parsed.positionals.join(' ')})`);
  const format = parsed.values.format ?? 'table';
  if (format !== 'table' && format !== 'json') return fail('--format must be table or json');
  const catalogue = rules ?? (await import('../../rules/index.ts')).RULES;
  // Descriptions live in the rules' docs (one file per catalogue rule); only the JSON listing prints them.
  const text = format === 'json' && rules === undefined ? await catalogueText(catalogue) : undefined;
  io.stdout.write(`${renderRules(catalogue, format, io.isTTY.stdout, text).join('\n')}\n`);
  return EXIT.ok;
};
