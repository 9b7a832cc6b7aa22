import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyMarkdownOf } from '../../cli/commands/policy.ts';
import { buildPolicy, renderPolicyHtml, renderPolicyMarkdown } from '../../cli/format/policy.ts';
import { parseConfig } from '../../infra/config.ts';
import { SEVERITIES } from '../../rules/core/types.ts';
import { RULES } from '../../rules/index.ts';
import { runCli, tempTree } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const exampleJson = JSON.parse(readFileSync(join(root, 'examples', 'trailwarden.config.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** The example's detection block with every deploy figure set away from its default, so a default cannot pass. */
const CONFIG = {
  account: '111122223333',
  homeRegion: 'eu-west-1',
  retentionDays: 400,
  trails: ['org-trail'],
  alerts: {
    emails: ['soc@example.com'],
    https: [{ url: 'https://events.example.com/v2/enqueue', filterPolicy: { kind: ['page', 'escalation'] } }],
  },
  sla: {
    critical: { ackMinutes: 10, resolveMinutes: 120 },
    high: { ackMinutes: 45, resolveMinutes: 600 },
    low: { ackMinutes: 2000, resolveMinutes: 20_000 },
  },
  drills: {
    schedule: 'cron(0 5 ? * MON *)',
    overdueDays: 10,
    maxWaitMinutes: 7,
    latencySeconds: { critical: 90, high: 200 },
  },
  changeWindows: [{ days: ['Tue', 'Thu'], start: '09:00', end: '11:00', timezone: 'Europe/Berlin' }],
  detection: exampleJson.detection,
} as const;

const parsed = (json: unknown) => {
  const p = parseConfig(json);
  if (!p.ok) throw new Error(p.errors.join('\n'));
  return p.config;
};
const policyOf = (json: unknown): string => renderPolicyMarkdown(buildPolicy(parsed(json), RULES));

const one = (text: string, re: RegExp): string[] => {
  const m = re.exec(text);
  if (m === null) throw new Error(`no match for ${re}`);
  return m.slice(1);
};

describe('trailwarden policy: every figure matches the config', () => {
  const config = parsed(CONFIG);
  const md = policyOf(CONFIG);

  it('retention days, parsed back out of the Markdown', () => {
    const [lock] = one(md, /Object Lock in COMPLIANCE mode for (\d+) days/);
    const [locked] = one(md, /Evidence objects are locked for (\d+) days/);
    expect(Number(lock)).toBe(400);
    expect(Number(locked)).toBe(config.retentionDays);
    expect(md).toMatch(/for 400 days; nobody.*\[config: retentionDays\]/);
  });

  it('SLA minutes per severity, parsed back from the severity table', () => {
    for (const s of SEVERITIES) {
      const [ack, resolve] = one(
        md,
        new RegExp(`^\\| ${s} \\| \\d+ \\| (\\d+) \\| (\\d+) \\| \\[config: sla\\.${s}\\.ackMinutes\\]`, 'm'),
      );
      expect([Number(ack), Number(resolve)], s).toEqual([config.sla[s].ackMinutes, config.sla[s].resolveMinutes]);
    }
    // Set in the file: the figures are the file's, not the defaults.
    expect(md).toMatch(/^\| critical \| \d+ \| 10 \| 120 \|/m);
    expect(md).toMatch(/^\| low \| \d+ \| 2000 \| 20000 \|/m);
  });

  it('drill schedule, latencies, wait and overdue days', () => {
    expect(one(md, /Drills run on the schedule `([^`]+)`/)).toEqual(['cron(0 5 ? * MON *)']);
    const [critical, high, wait] = one(
      md,
      /within (\d+) s for critical rules and (\d+) s for high rules; a run waits at most (\d+) minutes/,
    );
    expect([Number(critical), Number(high), Number(wait)]).toEqual([90, 200, 7]);
    expect(Number(one(md, /no passing drill for (\d+) days is overdue/)[0])).toBe(config.drills.overdueDays);
  });

  it("two rules' thresholds, parsed back from the threshold table, are the catalogue's", () => {
    for (const id of ['signin.console-login-failures', 's3.objects-deleted-burst']) {
      const rule = RULES.find((r) => r.id === id);
      const t = rule?.threshold;
      if (t == null) throw new Error(`${id} has no threshold`);
      const row = one(
        md,
        new RegExp(`^\\| ${id.replace('.', '\\.')} \\| (\\w+) \\| (\\d+) \\| (\\d+) \\| ([^|]+) \\|`, 'm'),
      );
      expect(row.slice(0, 3), id).toEqual([rule?.severity, String(t.count), String(t.windowSeconds)]);
      const high = t.byCriticality?.high;
      expect(row[3]?.trim(), id).toBe(high === undefined ? '-' : `${high.count} in ${high.windowSeconds} s`);
    }
    // Rules without a threshold are not in the table.
    expect(md).not.toMatch(/^\| cloudtrail\.logging-stopped \|/m);
  });

  it('scope, escalation and change windows come from the config, each with its marker', () => {
    expect(md).toContain('The monitoring pipeline runs in account 111122223333. [config: account]');
    expect(md).toContain("The pipeline's home region is eu-west-1. [config: homeRegion]");
    expect(md).toContain('Trails watched by the health checks: org-trail. [config: trails]');
    expect(md).toContain('Email subscriber: soc@example.com');
    expect(md).toContain('[config: alerts.emails[0]]');
    expect(md).toContain(
      'HTTPS subscriber (pager): https://events.example.com/v2/enqueue, filtered on {"kind":["page","escalation"]}',
    );
    expect(md).not.toContain('No alert subscriber is configured');
    expect(md).toContain('| Tue, Thu | 09:00 | 11:00 | Europe/Berlin | [config: changeWindows[0]] |');
    expect(md).toContain('| account 111122223333 | high | [config: detection.criticality.accounts.111122223333] |');
    expect(md).toContain('[rule: cloudtrail.logging-stopped]');
  });

  it('every statement and table row carries a source marker, and every section its Annex A controls', () => {
    const statements = md.split('\n').filter((l) => l.startsWith('- '));
    expect(statements.length).toBeGreaterThan(20);
    for (const line of statements) expect(line, line).toMatch(/\[(config|rule|code): \S+\]$/);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
    for (const line of rows.filter(
      (l) => !/^\| (Asset|Rule|Severity|Owner|Suppressed|Change window days) \|/.test(l),
    )) {
      expect(line, line).toMatch(/\[(config|rule|code): \S+\] \|$/);
    }
    const sections = md.split('\n## ').slice(1);
    expect(sections).toHaveLength(9);
    for (const s of sections) expect(s, s.slice(0, 40)).toMatch(/\nAnnex A: A\.\d+\.\d+ /);
    // Every rule marker names a rule (or a service glob) of the catalogue.
    for (const [, id = ''] of md.slice(md.indexOf('\n## ')).matchAll(/\[rule: ([^\]]+)\]/g)) {
      const known = id.endsWith('.*')
        ? RULES.some((r) => r.id.startsWith(id.slice(0, -1)))
        : RULES.some((r) => r.id === id);
      expect(known, id).toBe(true);
    }
  });

  it('a changed config changes the policy, exactly where the figure is', () => {
    const other = policyOf({ ...CONFIG, retentionDays: 500, drills: { ...CONFIG.drills, schedule: 'rate(7 days)' } });
    expect(other).not.toBe(md);
    const changed = md.split('\n').filter((line, i) => other.split('\n')[i] !== line);
    expect(changed).toHaveLength(4);
    expect(other).toContain('COMPLIANCE mode for 500 days');
    expect(other).toContain('Evidence objects are locked for 500 days');
    // The access logs follow the retention when evidenceLogRetentionDays is unset.
    expect(other).toContain('Server access logs of the evidence bucket are kept for 500 days. [config: retentionDays]');
    expect(other).toContain('Drills run on the schedule `rate(7 days)`');
  });

  it('is deterministic: the same input gives the same bytes, in both formats', async () => {
    expect(policyOf(CONFIG)).toBe(md);
    const html = renderPolicyHtml(buildPolicy(parsed(CONFIG), RULES));
    expect(renderPolicyHtml(buildPolicy(parsed(structuredClone(CONFIG)), RULES))).toBe(html);
    const dir = tempTree({ 'c.json': JSON.stringify(CONFIG) });
    const a = await runCli(['policy', '--config', 'c.json'], { cwd: dir });
    const b = await runCli(['policy', '--config', 'c.json'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(md);
    expect(b.stdout).toBe(a.stdout);
  });

  it("the committed docs/POLICY.md is the example config's policy (run `npm run docs` when this fails)", () => {
    expect(readFileSync(join(root, 'docs', 'POLICY.md'), 'utf8')).toBe(policyMarkdownOf(exampleJson, RULES));
  });
});

describe('trailwarden policy: HTML', () => {
  const hostile = {
    ...CONFIG,
    detection: {
      ...(CONFIG.detection as Record<string, unknown>),
      suppressions: [
        {
          ruleId: 'iam.*',
          reason: '</td><script>alert(1)</script><img src=x onerror=alert(2)> | pipe',
          expires: '2099-01-01',
        },
      ],
    },
  };

  it('escapes a hostile config value; self-contained: no script, no external reference', () => {
    const html = renderPolicyHtml(buildPolicy(parsed(hostile), RULES));
    expect(html).toContain('&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toMatch(/<script|<img|<link|<iframe|<object|<[^>]+\s(src|href|on\w+)=|url\(|@import/i);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    // Markdown: the pipe cannot split the table row.
    const md = renderPolicyMarkdown(buildPolicy(parsed(hostile), RULES));
    expect(md).toContain('\\| pipe | 2099-01-01 | [config: detection.suppressions[0]] |');
  });

  it('--format html --out writes the page', async () => {
    const dir = tempTree({ 'c.json': JSON.stringify(CONFIG) });
    const run = await runCli(['policy', '--config', 'c.json', '--format', 'html', '--out', 'out/policy.html'], {
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`wrote out/policy.html (9 sections, config: ${join(dir, 'c.json')})\n`);
    expect(readFileSync(join(dir, 'out', 'policy.html'), 'utf8')).toBe(
      renderPolicyHtml(buildPolicy(parsed(CONFIG), RULES)),
    );
  });
});

describe('trailwarden policy: usage', () => {
  it('--help and -h print the usage, exit 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli(['policy', flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: trailwarden policy /);
      expect(run.stdout).toContain('--format md|html');
    }
  });

  it('a bad --format exits 2 naming it', async () => {
    const run = await runCli(['policy', '--format', 'pdf']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--format must be one of md, html (got pdf)');
    expect(run.stdout).toBe('');
  });

  it('an invalid config exits 2 naming the key, as cdk synth would; a missing file names itself', async () => {
    const dir = tempTree({ 'bad.json': JSON.stringify({ retentionDays: 0, sla: { critical: { ackMinutes: -1 } } }) });
    const bad = await runCli(['policy', '--config', 'bad.json'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('retentionDays: must be a whole number of days');
    expect(bad.stderr).toContain('sla.critical.ackMinutes');
    const missing = await runCli(['policy', '--config', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: no such file');
  });

  it('-c KEY=VALUE overrides the file as cdk deploy -c does; a bad pair or unknown key exits 2', async () => {
    const run = await runCli(['policy', '-c', 'retentionDays=730', '--context', 'sla={"critical":{"ackMinutes":7}}'], {
      cwd: tempTree(),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(policyOf({ retentionDays: 730, sla: { critical: { ackMinutes: 7 } } }));
    expect(run.stdout).toContain('COMPLIANCE mode for 730 days');
    const bad = await runCli(['policy', '-c', 'retentionDays=0'], { cwd: tempTree() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('retentionDays: must be a whole number of days');
    const unknown = await runCli(['policy', '-c', 'retention=9'], { cwd: tempTree() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('-c retention: not a Trailwarden config key');
    const noValue = await runCli(['policy', '-c', 'retentionDays'], { cwd: tempTree() });
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('-c needs KEY=VALUE');
  });

  it('without --config and no ./trailwarden.config.json: the defaults, as an unconfigured deploy', async () => {
    const run = await runCli(['policy'], { cwd: tempTree() });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(policyOf(undefined));
    expect(run.stdout).toContain('COMPLIANCE mode for 365 days');
  });
});
