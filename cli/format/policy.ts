import type { TrailwardenConfig } from '../../infra/config.ts';
import type { Rule } from '../../rules/core/types.ts';
import { CRITICALITIES, SEVERITIES } from '../../rules/core/types.ts';
import { DEFAULT_REVIEW } from './rules-markdown.ts';

/**
 * The monitoring and logging policy (issue 17 §2), written from the deploy config (`parseConfig`, the object
 * `cdk synth` builds from) and the rule catalogue. Pure and deterministic: no clock, no environment, so the
 * example's policy can be checked like docs/RULES.md. Every statement carries the config key or rule it comes
 * from, so an auditor can trace a sentence to what the pipeline actually runs, and a reader can see where the
 * document is silent because the config is.
 */

/** Where a statement comes from: a config key (dotted path) or a rule id. */
export type PolicySource =
  | { readonly kind: 'config'; readonly key: string }
  | { readonly kind: 'rule'; readonly id: string }
  /** Built-in behaviour no key changes: the file that implements it. */
  | { readonly kind: 'code'; readonly path: string };

export interface PolicyStatement {
  readonly text: string;
  readonly sources: readonly PolicySource[];
}

export type PolicyBlock =
  | { readonly kind: 'statements'; readonly items: readonly PolicyStatement[] }
  | {
      readonly kind: 'table';
      /** What the table lists (shown above it, and as "None configured" when it is empty). */
      readonly caption?: string;
      readonly head: readonly string[];
      /** Each row's last cell is its sources. */
      readonly rows: readonly { readonly cells: readonly string[]; readonly sources: readonly PolicySource[] }[];
    };

export interface PolicySection {
  readonly title: string;
  /** ISO/IEC 27001:2022 Annex A controls this section supports. */
  readonly controls: readonly PolicyControl[];
  readonly blocks: readonly PolicyBlock[];
}

/** Annex A controls a policy section supports (a wider set than the rules' own, which are technical). */
export const POLICY_CONTROLS = {
  'A.5.1': 'Policies for information security',
  'A.5.2': 'Information security roles and responsibilities',
  'A.5.23': 'Information security for use of cloud services',
  'A.5.24': 'Information security incident management planning and preparation',
  'A.5.25': 'Assessment and decision on information security events',
  'A.5.26': 'Response to information security incidents',
  'A.5.28': 'Collection of evidence',
  'A.5.33': 'Protection of records',
  'A.5.36': 'Compliance with policies, rules and standards for information security',
  'A.8.15': 'Logging',
  'A.8.16': 'Monitoring activities',
  'A.8.17': 'Clock synchronization',
  'A.8.32': 'Change management',
} as const;
export type PolicyControl = keyof typeof POLICY_CONTROLS;

export interface PolicyDocument {
  readonly title: string;
  readonly intro: readonly string[];
  readonly sections: readonly PolicySection[];
}

const cfg = (key: string): PolicySource => ({ kind: 'config', key });
const rul = (id: string): PolicySource => ({ kind: 'rule', id });
const say = (text: string, ...sources: PolicySource[]): PolicyStatement => ({ text, sources });
const list = (items: readonly string[], none = 'none'): string => (items.length === 0 ? none : items.join(', '));
const statements = (...items: PolicyStatement[]): PolicyBlock => ({ kind: 'statements', items });

const code = (path: string): PolicySource => ({ kind: 'code', path });

export const sourceMarker = (s: PolicySource): string => {
  switch (s.kind) {
    case 'config':
      return `[config: ${s.key}]`;
    case 'rule':
      return `[rule: ${s.id}]`;
    case 'code':
      return `[code: ${s.path}]`;
  }
};

/** Rules whose id is in the catalogue, so a marker never names a rule that does not exist. */
const present = (rules: readonly Rule[], ids: readonly string[]): PolicySource[] =>
  ids.filter((id) => rules.some((r) => r.id === id)).map(rul);

const scope = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const d = c.detection;
  const items: PolicyStatement[] = [
    say(
      c.account === undefined
        ? 'The pipeline account is not pinned: the stack is deployed environment-agnostic into the account that deploys it.'
        : `The monitoring pipeline runs in account ${c.account}.`,
      cfg('account'),
    ),
    say(
      c.homeRegion === undefined
        ? 'The pipeline region is not pinned: the stack runs in the region it is deployed to.'
        : `The pipeline's home region is ${c.homeRegion}.`,
      cfg('homeRegion'),
    ),
    say(
      `Trails watched by the health checks: ${list(c.trails, 'none named (the health checks watch no trail by name)')}.`,
      cfg('trails'),
    ),
    say(
      `Organisation ${d.organization.id ?? '(not set)'}; member accounts treated as inside the organisation: ${list(d.organization.accounts)}.`,
      cfg('detection.organization'),
    ),
    say(
      d.approvedRegions === undefined || d.approvedRegions.length === 0
        ? 'Approved regions: every region (no region list is configured, so activity in an unused region is not a finding).'
        : `Approved regions: ${d.approvedRegions.join(', ')}; activity in any other region is a finding.`,
      cfg('detection.approvedRegions'),
      ...present(rules, ['ec2.unapproved-region']),
    ),
  ];
  if (c.org === undefined) {
    items.push(say('Single-account deployment: no organisation-wide forwarding is configured.', cfg('org')));
  } else {
    items.push(
      say(
        `Organisation-wide deployment for ${c.org.id}: every active account under ${c.org.deploymentTargets.join(', ')} forwards events from the regions ${c.org.regions.join(', ')} (StackSet called as ${c.org.callAs}).`,
        cfg('org.id'),
        cfg('org.deploymentTargets'),
        cfg('org.regions'),
        cfg('org.callAs'),
      ),
      say(
        `A newly joined account must send events within ${c.org.newAccountGraceMinutes} minutes; account tags are trusted for ${c.org.tagCacheMinutes} minutes.`,
        cfg('org.newAccountGraceMinutes'),
        cfg('org.tagCacheMinutes'),
      ),
    );
  }
  return { title: 'Scope', controls: ['A.5.1', 'A.5.23', 'A.8.16'], blocks: [statements(...items)] };
};

const logSources = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const t = c.trailIntegrity;
  const items: PolicyStatement[] = [
    say(
      'Sources: AWS CloudTrail management events (through EventBridge) and AWS Config item and compliance changes, evaluated as they arrive.',
      code('infra/constructs'),
      code('functions/evaluate'),
    ),
    say(
      'Stopping, deleting or degrading a trail, a Config recorder or an audit log group is itself a finding.',
      ...present(rules, [
        'cloudtrail.logging-stopped',
        'cloudtrail.trail-degraded',
        'config.recorder-stopped',
        'logs.audit-log-group-deleted',
      ]),
    ),
    say(
      `Every finding, incident, triage decision, review and drill record is kept in the evidence bucket under S3 Object Lock in COMPLIANCE mode for ${c.retentionDays} days; nobody, including the account root user, can delete or shorten it before then.`,
      cfg('retentionDays'),
    ),
    say(
      `Server access logs of the evidence bucket are kept for ${c.evidenceLogRetentionDays ?? c.retentionDays} days.`,
      cfg(c.evidenceLogRetentionDays === undefined ? 'retentionDays' : 'evidenceLogRetentionDays'),
    ),
    say(
      `A trail that has not delivered for ${c.health.deliveryLagMinutes} minutes, and an account and region silent for ${c.health.silenceMinutes} minutes, are findings.`,
      cfg('health.deliveryLagMinutes'),
      cfg('health.silenceMinutes'),
    ),
    say(
      `Event times more than ${c.detection.clockSkewMinutes ?? 15} minutes after their receive time are future-dated: a finding each, never moving a threshold window.`,
      cfg('detection.clockSkewMinutes'),
    ),
  ];
  if (t.buckets.length === 0) {
    items.push(
      say(
        'CloudTrail log-file integrity validation is not deployed (no trail bucket configured); run `trailwarden validate-trail` on demand.',
        cfg('trailIntegrity.buckets'),
      ),
    );
  } else {
    items.push(
      say(
        `CloudTrail log-file integrity (hourly digests, signatures, chain, log-file hashes) is validated continuously for ${t.buckets
          .map((b) => (b.prefix === '' ? b.bucket : `${b.bucket}/${b.prefix}`))
          .join(
            ', ',
          )}${t.organizationTrail ? ' (organisation trail)' : ''}; a digest more than ${t.lagMinutes} minutes late is a finding.`,
        cfg('trailIntegrity.buckets'),
        cfg('trailIntegrity.organizationTrail'),
        cfg('trailIntegrity.lagMinutes'),
      ),
    );
    if (t.kmsKeyArn !== undefined) {
      items.push(say(`Trail logs are encrypted with ${t.kmsKeyArn}.`, cfg('trailIntegrity.kmsKeyArn')));
    }
  }
  return {
    title: 'Log sources and retention',
    controls: ['A.8.15', 'A.8.17', 'A.5.33'],
    blocks: [statements(...items)],
  };
};

const windowText = (count: number, seconds: number): string => `${count} in ${seconds} s`;

const criticality = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const cr = c.detection.criticality;
  const assets: PolicyBlock = {
    kind: 'table',
    head: ['Asset', 'Criticality', 'Source'],
    rows: [
      { cells: ['(default)', cr.default], sources: [cfg('detection.criticality.default')] },
      ...Object.keys(cr.accounts)
        .sort()
        .map((account) => ({
          cells: [`account ${account}`, cr.accounts[account] ?? cr.default],
          sources: [cfg(`detection.criticality.accounts.${account}`)],
        })),
      ...cr.resources.map((r, i) => ({
        cells: [r.pattern, r.level],
        sources: [cfg(`detection.criticality.resources[${i}]`)],
      })),
      ...(cr.tags ?? []).map((t, i) => ({
        cells: [`tag ${t.key}${t.value === undefined ? '' : `=${t.value}`}`, t.level],
        sources: [cfg(`detection.criticality.tags[${i}]`)],
      })),
    ],
  };
  const thresholds: PolicyBlock = {
    kind: 'table',
    head: ['Rule', 'Severity', 'Count', 'Window (s)', ...CRITICALITIES.map((l) => `On ${l}`), 'Source'],
    rows: rules.flatMap((r) => {
      const t = r.threshold;
      if (t === null) return [];
      return [
        {
          cells: [
            r.id,
            r.severity,
            String(t.count),
            String(t.windowSeconds),
            ...CRITICALITIES.map((l) => {
              const w = t.byCriticality?.[l];
              return w === undefined ? '-' : windowText(w.count, w.windowSeconds);
            }),
          ],
          sources: [rul(r.id)],
        },
      ];
    }),
  };
  return {
    title: 'Asset criticality and risk-based thresholds',
    controls: ['A.8.16', 'A.5.25'],
    blocks: [
      statements(
        say(
          'Each event is rated by the most critical match of its account, resource and tags; the rating raises severities and tightens thresholds as the table below says.',
          cfg('detection.criticality'),
        ),
      ),
      assets,
      statements(
        say(
          'Threshold rules raise a finding when Count matching events fall inside Window (seconds); "On <level>" overrides it for events of that criticality.',
          code('rules/core/window.ts'),
        ),
      ),
      thresholds,
    ],
  };
};

const severities = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const inc = c.detection.incidents;
  return {
    title: 'Severity definitions and response SLAs',
    controls: ['A.5.24', 'A.5.25', 'A.5.26'],
    blocks: [
      {
        kind: 'table',
        head: ['Severity', 'Rules', 'Acknowledge within (min)', 'Resolve within (min)', 'Source'],
        rows: SEVERITIES.map((s) => ({
          cells: [
            s,
            String(rules.filter((r) => r.severity === s).length),
            String(c.sla[s].ackMinutes),
            String(c.sla[s].resolveMinutes),
          ],
          sources: [cfg(`sla.${s}.ackMinutes`), cfg(`sla.${s}.resolveMinutes`)],
        })),
      },
      statements(
        say(
          `Findings of one actor are correlated into one incident over ${inc?.correlationMinutes ?? 60} minutes; the first finding at or above ${inc?.pageSeverity ?? 'high'} pages.`,
          cfg('detection.incidents.correlationMinutes'),
          cfg('detection.incidents.pageSeverity'),
        ),
      ),
    ],
  };
};

const escalation = (c: TrailwardenConfig): PolicySection => {
  const items: PolicyStatement[] = [];
  if (c.alerts.emails.length === 0 && c.alerts.https.length === 0) {
    items.push(
      say(
        'No alert subscriber is configured: findings are archived as evidence but nobody is paged. This is a gap to close before relying on this policy.',
        cfg('alerts'),
      ),
    );
  }
  c.alerts.emails.forEach((e, i) => {
    items.push(say(`Email subscriber: ${e} (every finding and every pipeline alarm).`, cfg(`alerts.emails[${i}]`)));
  });
  c.alerts.https.forEach((h, i) => {
    const filter =
      h.filterPolicy === undefined
        ? 'unfiltered: every finding and update'
        : `filtered on ${JSON.stringify(h.filterPolicy)}`;
    items.push(
      say(
        `HTTPS subscriber (pager): ${h.url}, ${filter}; also subscribed unfiltered to pipeline alarms.`,
        cfg(`alerts.https[${i}].url`),
        ...(h.filterPolicy === undefined ? [] : [cfg(`alerts.https[${i}].filterPolicy`)]),
      ),
    );
  });
  items.push(
    say(
      c.chat.enabled
        ? 'A chat topic carries findings to a Slack or Teams channel through Amazon Q Developer.'
        : 'No chat channel is configured.',
      cfg('chat.enabled'),
    ),
    say(
      c.securityHub
        ? 'Every finding is also imported into AWS Security Hub (ASFF).'
        : 'Findings are not imported into AWS Security Hub.',
      cfg('securityHub'),
    ),
  );
  return { title: 'Escalation paths', controls: ['A.5.24', 'A.5.26', 'A.5.2'], blocks: [statements(...items)] };
};

const ownership = (rules: readonly Rule[]): PolicySection => {
  const owners = [...new Set(rules.map((r) => r.owner))].sort();
  return {
    title: 'Rule ownership and review cadence',
    controls: ['A.5.2', 'A.5.36', 'A.8.16'],
    blocks: [
      statements(
        say(
          `The catalogue holds ${rules.length} rules. Every rule is reviewed ${DEFAULT_REVIEW} (\`trailwarden review --quarter YYYY-QN\`): thresholds against their alert volume and false positives, and rules silent for 90 days, to retire or to drill; the signed review is archived as evidence.`,
          code('rules/core/review.ts'),
        ),
      ),
      {
        kind: 'table',
        head: ['Owner', 'Rules', 'Source'],
        rows: owners.map((o) => {
          const owned = rules.filter((r) => r.owner === o);
          // One marker per service (`iam.*`): the catalogue's own grouping, short enough to read.
          const services = [...new Set(owned.map((r) => r.id.slice(0, r.id.indexOf('.'))))].sort();
          return { cells: [o, String(owned.length)], sources: services.map((svc) => rul(`${svc}.*`)) };
        }),
      },
    ],
  };
};

const drills = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const d = c.drills;
  const drilled =
    d.rules.length > 0
      ? d.rules
      : rules.filter((r) => r.severity === 'critical' || r.severity === 'high').map((r) => r.id);
  return {
    title: 'Drill schedule',
    controls: ['A.5.24', 'A.8.16'],
    blocks: [
      statements(
        say(`Drills run on the schedule \`${d.schedule}\` (EventBridge, UTC).`, cfg('drills.schedule')),
        say(
          d.rules.length > 0
            ? `Drilled rules: ${d.rules.join(', ')}.`
            : `Drilled rules: every critical and high rule that can be drilled (the catalogue has ${drilled.length} critical and high rules).`,
          cfg('drills.rules'),
        ),
        say(
          `A drill page must arrive within ${d.latencySeconds.critical} s for critical rules and ${d.latencySeconds.high} s for high rules; a run waits at most ${d.maxWaitMinutes} minutes.`,
          cfg('drills.latencySeconds.critical'),
          cfg('drills.latencySeconds.high'),
          cfg('drills.maxWaitMinutes'),
        ),
        say(
          `A rule with no passing drill for ${d.overdueDays} days is overdue, itself a finding.`,
          cfg('drills.overdueDays'),
        ),
        say(
          `Drills may be started by: ${list(c.drillOperators, 'nobody (no drill operator role configured)')}.`,
          cfg('drillOperators'),
        ),
      ),
    ],
  };
};

const suppression = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => {
  const d = c.detection;
  const windows = d.approved.changeWindows ?? [];
  return {
    title: 'Suppression and change windows',
    controls: ['A.8.32', 'A.5.25'],
    blocks: [
      statements(
        say(
          'A suppression names what it matches, a reason and an expiry date; an expired one no longer applies. Suppressions are reviewed with the rules each quarter.',
          code('rules/core/suppressions.ts'),
          cfg('detection.suppressions'),
        ),
        say(
          `Approved automation roles: ${list(d.approved.automationRoles)}; approved IaC user agents: ${list(d.approved.iacUserAgents)}.`,
          cfg('detection.approved.automationRoles'),
          cfg('detection.approved.iacUserAgents'),
        ),
        say(
          d.approved.ticketPattern === undefined
            ? 'No change ticket is required of approved changes.'
            : `Approved changes must carry a ticket matching \`${d.approved.ticketPattern}\`.`,
          cfg('detection.approved.ticketPattern'),
        ),
        say(
          windows.length === 0
            ? 'No change window is configured: approved changes may happen at any time.'
            : 'Changes outside every change window below are findings.',
          cfg('changeWindows'),
          cfg('detection.approved.changeWindows'),
          ...present(rules, ['iam.policy-changed', 'ec2.security-group-changed']),
        ),
      ),
      {
        kind: 'table',
        caption: 'Suppressions in force',
        head: ['Suppressed', 'Reason', 'Expires', 'Source'],
        rows: d.suppressions.map((s, i) => ({
          cells: [
            [
              s.ruleId === undefined ? '' : `rule ${s.ruleId}`,
              s.principal === undefined ? '' : `principal ${s.principal}`,
              s.resource === undefined ? '' : `resource ${s.resource}`,
              s.account === undefined ? '' : `account ${s.account}`,
            ]
              .filter((x) => x !== '')
              .join('; '),
            s.reason,
            s.expires,
          ],
          sources: [cfg(`detection.suppressions[${i}]`)],
        })),
      },
      {
        kind: 'table',
        caption: 'Change windows',
        head: ['Change window days', 'Start', 'End', 'Time zone', 'Source'],
        rows: windows.map((w, i) => ({
          cells: [w.days.join(', '), w.start, w.end, w.timezone],
          sources: [cfg(`changeWindows[${i}]`)],
        })),
      },
    ],
  };
};

const evidence = (c: TrailwardenConfig, rules: readonly Rule[]): PolicySection => ({
  title: 'Evidence handling and integrity checks',
  controls: ['A.5.28', 'A.5.33', 'A.8.15'],
  blocks: [
    statements(
      say(
        'Evidence is append-only: a later state of an object is a new key written only if absent, never an overwrite.',
        code('rules/core/evidence.ts'),
      ),
      say(
        'Every hour of evidence is listed in a digest signed with an asymmetric KMS key; each digest chains to the previous one, so a deleted, altered or inserted object breaks the chain.',
        code('rules/core/digest.ts'),
        ...present(rules, ['kms.trailwarden-key-tampered', 's3.trailwarden-bucket-tampered']),
      ),
      say(
        '`trailwarden verify` checks every evidence object against the signed digests and the chain; auditors run it on the bucket or an exported copy.',
        code('cli/commands/verify.ts'),
      ),
      say(
        c.breakGlassRoleArn === undefined
          ? "Nobody, not even the account root user, can schedule deletion of, disable or change the policy of Trailwarden's KMS keys."
          : `Only ${c.breakGlassRoleArn} may schedule deletion of, disable or change the policy of Trailwarden's KMS keys.`,
        cfg('breakGlassRoleArn'),
      ),
      say(`Evidence objects are locked for ${c.retentionDays} days (COMPLIANCE mode).`, cfg('retentionDays')),
    ),
  ],
});

/** The policy, from the validated deploy config and the rule catalogue (registry order). */
export const buildPolicy = (config: TrailwardenConfig, rules: readonly Rule[]): PolicyDocument => ({
  title: 'Monitoring and logging policy',
  intro: [
    'Generated by `trailwarden policy` from the deployment configuration and the rule catalogue the pipeline runs; regenerate it whenever either changes.',
    'Each statement ends with its source: `[config: KEY]` is a key of the configuration file (defaults applied where the key is absent), `[rule: ID]` a rule of the catalogue (see docs/RULES.md).',
  ],
  sections: [
    scope(config, rules),
    logSources(config, rules),
    criticality(config, rules),
    severities(config, rules),
    escalation(config),
    ownership(rules),
    drills(config, rules),
    suppression(config, rules),
    evidence(config, rules),
  ],
});

// --- Markdown ---------------------------------------------------------------------------------------------

/** A table cell: pipes and newlines would break the row. */
const mdCell = (s: string): string =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
const mdMarkers = (sources: readonly PolicySource[]): string => sources.map(sourceMarker).join(' ');

const mdBlock = (b: PolicyBlock): string[] => {
  if (b.kind === 'statements') {
    return [
      ...b.items.map(
        (s) => `- ${s.text.replace(/[\r\n]+/g, ' ')}${s.sources.length > 0 ? ` ${mdMarkers(s.sources)}` : ''}`,
      ),
      '',
    ];
  }
  const caption = b.caption === undefined ? [] : [`**${b.caption}**`, ''];
  if (b.rows.length === 0) return [...caption, '_None configured._', ''];
  return [
    ...caption,
    `| ${b.head.map(mdCell).join(' | ')} |`,
    `| ${b.head.map(() => '---').join(' | ')} |`,
    ...b.rows.map((r) => `| ${[...r.cells, mdMarkers(r.sources)].map(mdCell).join(' | ')} |`),
    '',
  ];
};

export const renderPolicyMarkdown = (doc: PolicyDocument): string =>
  `${[
    '<!-- Generated by `trailwarden policy` (npm run docs). Do not edit by hand. -->',
    '',
    `# ${doc.title}`,
    '',
    ...doc.intro.flatMap((p) => [p, '']),
    ...doc.sections.flatMap((s, i) => [
      `## ${i + 1}. ${s.title}`,
      '',
      `Annex A: ${s.controls.map((c) => `${c} ${POLICY_CONTROLS[c]}`).join('; ')}.`,
      '',
      ...s.blocks.flatMap(mdBlock),
    ]),
  ]
    .join('\n')
    .trimEnd()}\n`;

// --- HTML -------------------------------------------------------------------------------------------------

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Inline code spans (`x`) of the statements, after escaping, so a config value can never open a tag. */
const htmlText = (s: string): string => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');
const htmlMarkers = (sources: readonly PolicySource[]): string =>
  sources.map((s) => `<span class="src">${escapeHtml(sourceMarker(s))}</span>`).join(' ');

const htmlBlock = (b: PolicyBlock): string => {
  if (b.kind === 'statements') {
    return `<ul>\n${b.items.map((s) => `<li>${htmlText(s.text)} ${htmlMarkers(s.sources)}</li>`).join('\n')}\n</ul>`;
  }
  const caption = b.caption === undefined ? [] : [`<h3>${escapeHtml(b.caption)}</h3>`];
  if (b.rows.length === 0) return [...caption, '<p><em>None configured.</em></p>'].join('\n');
  return [
    ...caption,
    '<table>',
    `<thead><tr>${b.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...b.rows.map(
      (r) => `<tr>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}<td>${htmlMarkers(r.sources)}</td></tr>`,
    ),
    '</tbody>',
    '</table>',
  ].join('\n');
};

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.5}
h1{border-bottom:2px solid #1b1f24}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.controls{color:#57606a;font-size:.9rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa;white-space:nowrap}.src{font-family:ui-monospace,monospace;font-size:.8rem;color:#0969da}
code{font-family:ui-monospace,monospace;background:#f6f8fa;padding:0 .2rem}`;

export const renderPolicyHtml = (doc: PolicyDocument): string =>
  `${[
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
    ...doc.intro.map((p) => `<p>${htmlText(p)}</p>`),
    ...doc.sections.flatMap((s, i) => [
      `<section>`,
      `<h2>${i + 1}. ${escapeHtml(s.title)}</h2>`,
      `<p class="controls">Annex A: ${s.controls.map((c) => `${escapeHtml(c)} ${escapeHtml(POLICY_CONTROLS[c])}`).join('; ')}.</p>`,
      ...s.blocks.map(htmlBlock),
      '</section>',
    ]),
    '</body>',
    '</html>',
  ].join('\n')}\n`;
