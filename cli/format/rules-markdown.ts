import type { PipelineCheckGroup } from '../../rules/core/pipeline-checks.ts';
import type { ObservationRule } from '../../rules/core/trail-integrity.ts';
import type { CheckMeta, Rule, RuleDocs } from '../../rules/core/types.ts';
import { CONTROLS, CRITICALITIES } from '../../rules/core/types.ts';
import { describeOn, describeThreshold } from '../commands/rules.ts';

/** What the generated page needs from a rule's docs (never its cases). */
export type RuleDocEntry = readonly [Rule, Pick<RuleDocs, 'description' | 'runbook' | 'rationale' | 'falsePositives'>];

/** How often a rule is reviewed when it does not say otherwise. */
export const DEFAULT_REVIEW = 'quarterly';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export const anchorOf = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');

/** Prose from rule files as Markdown text: `*`, `_` and `\\` outside code spans are escaped, so they stay literal. */
export const markdownText = (text: string): string =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[\\*_]/g, (c) => `\\${c}`)))
    .join('');

const controlName = (id: string): string => `${id} ${CONTROLS[id as keyof typeof CONTROLS] ?? '(unknown control)'}`;

/** `high at every asset criticality`, or `medium; by asset criticality: high → critical, medium → medium, low → low`. */
export const describeSeverityByCriticality = (rule: Rule): string => {
  const levels = CRITICALITIES.map((c) => [c, rule.escalation[c] ?? rule.severity] as const);
  if (levels.every(([, s]) => s === rule.severity)) return `${rule.severity} at every asset criticality`;
  return `${rule.severity}; by asset criticality: ${levels.map(([c, s]) => `${c} → ${s}`).join(', ')}`;
};

const ruleSection = ([rule, docs]: RuleDocEntry): string[] => {
  const threshold = rule.threshold === null ? 'every match' : describeThreshold(rule);
  return [
    `### ${rule.id}`,
    '',
    `**${markdownText(rule.title)}**`,
    '',
    `What it detects: ${markdownText(docs.description)}`,
    '',
    `- Events: \`${describeOn(rule.on)}\``,
    `- Severity: ${describeSeverityByCriticality(rule)}`,
    `- Controls: ${rule.controls.map(controlName).join('; ')}`,
    `- MITRE ATT&CK: ${rule.mitre.length === 0 ? 'none' : rule.mitre.join(', ')}`,
    `- Threshold: ${threshold}`,
    `- Dedup window: ${rule.dedup.windowSeconds}s`,
    `- Review: ${DEFAULT_REVIEW} (owner: ${rule.owner})`,
    '',
    `Rationale: ${markdownText(docs.rationale)}`,
    '',
    'Runbook:',
    '',
    ...docs.runbook.map((step, i) => `${i + 1}. ${markdownText(step)}`),
    '',
    'False positives:',
    '',
    ...(docs.falsePositives.length === 0
      ? ['- None known.']
      : docs.falsePositives.map((fp) => `- ${markdownText(fp)}`)),
    '',
  ];
};

const observationSection = (rule: ObservationRule): string[] => [
  `### ${rule.id}`,
  '',
  `**${markdownText(rule.title)}**`,
  '',
  `What it detects: ${markdownText(rule.description)}`,
  '',
  `- Observes: ${markdownText(rule.source)}`,
  `- Severity: ${rule.severity} at every asset criticality`,
  `- Controls: ${rule.controls.map(controlName).join('; ')}`,
  `- MITRE ATT&CK: ${rule.mitre.length === 0 ? 'none' : rule.mitre.join(', ')}`,
  '- Threshold: every problem, one finding per object (deterministic id: paged once)',
  `- Review: ${DEFAULT_REVIEW}`,
  '',
  'Runbook:',
  '',
  ...rule.runbook.map((step, i) => `${i + 1}. ${markdownText(step)}`),
  '',
];

/** A pipeline check as the page lists it: [id, what it says, its group]. */
export type PipelineCheckEntry = readonly [string, CheckMeta, PipelineCheckGroup];

const pipelineCheckSection = ([id, check, group]: PipelineCheckEntry): string[] => [
  `### ${id}`,
  '',
  `**${markdownText(check.title)}**`,
  '',
  `What it detects: ${markdownText(check.description)}`,
  '',
  `- Raised by: ${markdownText(group.raisedBy)}`,
  `- Severity: ${check.severity} at every asset criticality`,
  `- Controls: ${check.controls.map(controlName).join('; ')}`,
  `- MITRE ATT&CK: ${check.mitre.length === 0 ? 'none' : check.mitre.join(', ')}`,
  `- Review: ${DEFAULT_REVIEW}`,
  '',
  'Runbook:',
  '',
  ...check.runbook.map((step, i) => `${i + 1}. ${markdownText(step)}`),
  '',
];

/** `docs/RULES.md`: deterministic (registry order, no timestamps), so a stale copy is a plain diff. */
export const renderRulesMarkdown = (
  entries: readonly RuleDocEntry[],
  observed: readonly ObservationRule[] = [],
  checks: readonly PipelineCheckEntry[] = [],
): string => {
  const toc = Object.keys(CONTROLS).flatMap((control) => {
    const rules = entries.filter(([rule]) => (rule.controls as readonly string[]).includes(control));
    const more = observed.filter((rule) => (rule.controls as readonly string[]).includes(control));
    const own = checks
      .filter(([, check]) => (check.controls as readonly string[]).includes(control))
      .map(([id, check]) => ({ id, title: check.title }));
    const listed = [...rules.map(([rule]) => rule), ...more, ...own];
    return [
      `### ${controlName(control)}`,
      '',
      ...(listed.length === 0
        ? ['No rule yet (see `trailwarden coverage`).']
        : listed.map((rule) => `- [${rule.id}](#${anchorOf(rule.id)}) — ${markdownText(rule.title)}`)),
      '',
    ];
  });
  const lines = [
    '<!-- Generated by `trailwarden docs` from the rule catalogue. Do not edit: run `npm run docs`. -->',
    '',
    '# Trailwarden rules',
    '',
    'This file is generated from the rule definitions and their docs (`rules/**/*.rule.ts`). Never hand-edit it:',
    'change the rule, then regenerate with `npm run docs`. `npm test` fails when it is out of date.',
    '',
    `${entries.length} rule${entries.length === 1 ? '' : 's'}${observed.length === 0 ? '' : ` over events, ${observed.length} over observations`}${checks.length === 0 ? '' : `, and ${checks.length} findings Trailwarden raises about itself`}. Severity is the severity at medium asset criticality;`,
    'thresholds read "count in window". Every rule is reviewed quarterly unless it says otherwise.',
    '',
    '## Contents by Annex A control',
    '',
    ...toc,
    '## Rules',
    '',
    ...entries.flatMap(ruleSection),
    ...(observed.length === 0
      ? []
      : [
          '## Rules over observations',
          '',
          'These rules match no CloudTrail event: their findings come from what a Trailwarden function observes',
          '(CloudTrail log-file integrity validation, the live IAM state), and take the same ledger, SNS and evidence path.',
          '',
          ...observed.flatMap(observationSection),
        ]),
    ...(checks.length === 0
      ? []
      : [
          '## Findings about Trailwarden itself',
          '',
          'These findings come from no rule file: Trailwarden raises them about its own pipeline (is it hearing',
          'every account, is an event lying about itself, were the alerts shown to fire). They page, archive and',
          'fold into incidents like every other finding; their text lives in the registries under `rules/core/`',
          '(`health.ts`, `integrity.ts`, `drill-run.ts`, listed in `pipeline-checks.ts`).',
          '',
          ...checks.flatMap(pipelineCheckSection),
        ]),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
};
