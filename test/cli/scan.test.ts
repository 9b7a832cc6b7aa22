import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  benign,
  envelope,
  gz,
  jsonLines,
  jsonLinesOf,
  logFile,
  runCli,
  scanJsonl,
  stopLogging,
  tempTree,
} from './helpers.ts';

const RULE = 'cloudtrail.logging-stopped';

describe('trailwarden scan: inputs', () => {
  it('reads a gzipped CloudTrail log file as delivered to S3', async () => {
    const dir = tempTree({
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/log.json.gz': gz(
        logFile([benign('ev-benign'), stopLogging('ev-stop')]),
      ),
    });
    const { code, findings, stderr } = await scanJsonl([dir]);
    expect(code).toBe(0);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: RULE, severity: 'critical', eventIds: ['ev-stop'], count: 1 });
    expect(stderr).toMatch(
      /scanned 2 events in 1 file \(0\.0 MB\) in [\d.]+ s; skipped: 0 bad lines, 0 unreadable files/,
    );
  });

  it('reads a plain .json log file named on the command line', async () => {
    const dir = tempTree({ 'log.json': logFile([stopLogging('ev-plain')]) });
    const { findings } = await scanJsonl([join(dir, 'log.json')]);
    expect(findings.map((f) => f.eventIds)).toEqual([['ev-plain']]);
  });

  it('reads JSON Lines of EventBridge envelopes and of bare records', async () => {
    const dir = tempTree({
      'events.jsonl': jsonLines([envelope(stopLogging('ev-eb', { requestParameters: { name: 'trail-a' } }))]),
      'records.ndjson.gz': gz(jsonLines([stopLogging('ev-bare', { requestParameters: { name: 'trail-b' } })])),
    });
    const { findings } = await scanJsonl([dir]);
    expect(findings.flatMap((f) => f.eventIds).sort()).toEqual(['ev-bare', 'ev-eb']);
  });

  it('walks nested directories in a stable order and passes over other files silently', async () => {
    const dir = tempTree({
      'b/deeper/still/two.json.gz': gz(logFile([stopLogging('ev-2', { requestParameters: { name: 'trail-2' } })])),
      'a/one.jsonl.gz': gz(jsonLines([stopLogging('ev-1', { requestParameters: { name: 'trail-1' } })])),
      'a/notes.txt': 'not a log',
      'b/deeper/data.csv': 'x,y',
    });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings.flatMap((f) => f.eventIds).sort()).toEqual(['ev-1', 'ev-2']);
    expect(stderr).not.toMatch(/notes\.txt|data\.csv/);
    expect(stderr).toMatch(/in 2 files/);
  });

  it('reads JSON Lines from stdin (-)', async () => {
    const { findings, stderr } = await scanJsonl(['-'], { stdin: jsonLines([benign('ev-a'), stopLogging('ev-b')]) });
    expect(findings.map((f) => f.eventIds)).toEqual([['ev-b']]);
    expect(stderr).toMatch(/scanned 2 events in 1 file/);
  });

  it('reads a whole {"Records":[…]} document from stdin, gzipped or not', async () => {
    for (const stdin of [logFile([stopLogging('ev-doc')]), gz(logFile([stopLogging('ev-doc')]))]) {
      const { findings } = await scanJsonl(['-'], { stdin });
      expect(findings.map((f) => f.eventIds)).toEqual([['ev-doc']]);
    }
  });

  it('folds a repeat into the finding it repeats instead of printing it twice', async () => {
    const dir = tempTree({
      'log.json': logFile([
        stopLogging('ev-first', { eventTime: '2024-05-01T12:00:00Z' }),
        stopLogging('ev-again', { eventTime: '2024-05-01T12:10:00Z' }),
      ]),
    });
    const { findings } = await scanJsonl([dir]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ count: 2, firstSeen: '2024-05-01T12:00:00.000Z' });
    expect(findings[0]?.eventIds).toEqual(['ev-first', 'ev-again']);
  });
});

describe('trailwarden scan: bad input never stops the scan', () => {
  it('names a truncated gzip and still reports the findings of the other files', async () => {
    const whole = gz(logFile([stopLogging('ev-lost', { requestParameters: { name: 'trail-lost' } })]));
    const dir = tempTree({
      'a-truncated.json.gz': whole.subarray(0, whole.length - 12),
      'b-good.json.gz': gz(logFile([stopLogging('ev-kept')])),
    });
    const { code, findings, stderr } = await scanJsonl([dir]);
    expect(code).toBe(0);
    expect(findings.map((f) => f.eventIds)).toEqual([['ev-kept']]);
    const errors = stderr.split('\n').filter((l) => l.startsWith('trailwarden:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^trailwarden: ${join(dir, 'a-truncated.json.gz')}: corrupt or truncated gzip at compressed byte ${whole.length - 12}, after \\d+ bytes of text \\(unexpected end of file\\); kept 0 complete records before it$`,
      ),
    );
    expect(stderr).toMatch(/in 1 file .*skipped: 0 bad lines, 1 unreadable file$/m);
  });

  it('names the file and line of a bad JSON line, and reads the lines after it', async () => {
    const dir = tempTree({
      'events.jsonl': `${JSON.stringify(benign('ev-1'))}\n{"eventID": "ev-2",\n\n${JSON.stringify(stopLogging('ev-3'))}\n`,
    });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings.map((f) => f.eventIds)).toEqual([['ev-3']]);
    expect(stderr).toContain(`trailwarden: ${join(dir, 'events.jsonl')}:2: invalid JSON: `);
    expect(stderr).toMatch(/scanned 2 events in 1 file .*skipped: 1 bad line, 0 unreadable files/);
  });

  it('names the file and record index of an invalid record in a log file', async () => {
    const { eventTime: _dropped, ...noTime } = stopLogging('x');
    const dir = tempTree({ 'log.json.gz': gz(logFile([benign('ev-1'), noTime, stopLogging('ev-3')])) });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings.map((f) => f.eventIds)).toEqual([['ev-3']]);
    expect(stderr).toContain(`trailwarden: ${join(dir, 'log.json.gz')}: Records[1]: record has no eventTime`);
    expect(stderr).toMatch(/skipped: 1 bad line, 0 unreadable files/);
  });

  it('judges a record without eventID or userIdentity (a test event) and names the stand-ins', async () => {
    const { eventID: _id, userIdentity: _who, ...bare } = stopLogging('x');
    const dir = tempTree({ 'test-event.json': JSON.stringify(bare, null, 2) });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings.map((f) => f.ruleId)).toEqual(['cloudtrail.logging-stopped']);
    expect(findings[0]).toMatchObject({ eventIds: [expect.stringMatching(/^derived-[0-9a-f]{32}$/)] });
    expect(stderr).toContain('userIdentity: missing; read as an unknown caller');
    expect(stderr).toMatch(/skipped: 0 bad lines, 0 unreadable files/);
  });

  it('names a file that is not valid JSON at all, once', async () => {
    const dir = tempTree({ 'broken.json': '{"Records": [{"eventID": ', 'good.json': logFile([stopLogging('ev-ok')]) });
    const { findings, stderr } = await scanJsonl([dir]);
    expect(findings).toHaveLength(1);
    expect(stderr.match(/broken\.json/g)).toHaveLength(1);
    expect(stderr).toMatch(/broken\.json:1: invalid JSON: /);
  });

  it('names a truncated gzip on stdin after the events read before the damage', async () => {
    const lines = jsonLines(Array.from({ length: 2000 }, (_, i) => benign(`ev-${i}`)));
    const whole = gz(`${lines}${JSON.stringify(stopLogging('ev-stop'))}\n`);
    const { stderr } = await scanJsonl(['-'], { stdin: whole.subarray(0, whole.length - 40) });
    expect(stderr).toContain('trailwarden: <stdin>: corrupt or truncated gzip');
    expect(stderr).toMatch(/skipped: 0 bad lines, 1 unreadable file/);
  });
});

describe('trailwarden scan: output formats', () => {
  const tree = () =>
    tempTree({
      'log.json': logFile([
        stopLogging('ev-stop', { eventTime: '2024-05-01T12:00:00Z', sourceIPAddress: '203.0.113.9' }),
      ]),
    });

  it('jsonl prints the whole finding, one per line', async () => {
    const { findings } = await scanJsonl([tree()]);
    expect(findings).toHaveLength(1);
    const f = findings[0] ?? {};
    for (const field of [
      'id',
      'ruleId',
      'title',
      'severity',
      'controls',
      'account',
      'region',
      'actor',
      'resources',
      'eventIds',
      'firstSeen',
      'lastSeen',
      'count',
    ]) {
      expect(f).toHaveProperty(field);
    }
    expect(f).toMatchObject({ controls: ['A.8.15'], firstSeen: '2024-05-01T12:00:00.000Z' });
  });

  it('ocsf prints OCSF Detection Findings (class 2004)', async () => {
    const run = await runCli(['scan', tree(), '--format', 'ocsf']);
    const [ocsf, ...more] = jsonLinesOf(run.stdout);
    expect(more).toEqual([]);
    expect(ocsf).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: 5,
      status_id: 1,
      time: Date.parse('2024-05-01T12:00:00Z'),
      metadata: { version: '1.8.0', product: { name: 'Trailwarden', vendor_name: 'Trailwarden' } },
      finding_info: {
        title: 'CloudTrail logging stopped or trail deleted',
        types: ['ISO/IEC 27001:2022 A.8.15 Logging'],
        first_seen_time: Date.parse('2024-05-01T12:00:00Z'),
        analytic: { uid: RULE, type_id: 1 },
        related_events: [{ uid: 'ev-stop' }],
      },
      cloud: { provider: 'AWS' },
      evidences: [{ src_endpoint: { ip: '203.0.113.9' } }],
      unmapped: { controls: ['A.8.15'] },
    });
    const info = ocsf?.finding_info as { uid?: unknown } | undefined;
    const [evidence] = (ocsf?.evidences ?? []) as { actor?: { user?: { uid?: string } } }[];
    expect(typeof info?.uid).toBe('string');
    // No top-level actor: that is a host-profile attribute, and only `cloud` is declared.
    expect(ocsf).not.toHaveProperty('actor');
    expect(evidence?.actor?.user?.uid).toMatch(/^arn:aws:/);
  });

  it('table prints each incident, its findings beneath (header, one row each) and a count, without colour off a terminal', async () => {
    const { code, stdout } = await runCli(['scan', tree()]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Incident [0-9a-f]{32} {2}CRITICAL {2}arn:aws:\S+ {2}account \d{12}$/);
    expect(lines[1]).toBe('  2024-05-01 12:00:00Z to 2024-05-01 12:00:00Z, 1 finding, paged at critical');
    expect(lines[2]).toMatch(/^ {2}SEVERITY\s+RULE\s+ACCOUNT\s+REGION\s+ACTOR\s+COUNT\s+FIRST SEEN\s+TITLE$/);
    expect(lines[3]).toMatch(
      /^ {2}critical\s+cloudtrail\.logging-stopped\s+\d{12}\s+\S+\s+\S+\s+1\s+2024-05-01 12:00:00Z\s+CloudTrail/,
    );
    expect(lines.at(-1)).toBe('1 finding (1 critical); 1 incident, 1 page');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes is the point
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('table colours severities on a terminal', async () => {
    const { stdout } = await runCli(['scan', tree()], { tty: true });
    expect(stdout).toContain('\u001b[1;31mcritical');
  });

  it('says so when there is nothing to report', async () => {
    const { code, stdout } = await runCli(['scan', tempTree({ 'log.json': logFile([benign('ev-1')]) })]);
    expect(code).toBe(0);
    expect(stdout).toBe('No findings.\n');
  });
});

describe('trailwarden scan: exit codes and configuration', () => {
  const critical = () => tempTree({ 'log.json': logFile([stopLogging('ev-stop')]) });

  it.each([
    ['critical', 1],
    ['high', 1],
    ['info', 1],
  ])('--fail-on %s with a critical finding exits %i', async (severity, expected) => {
    const { code } = await runCli(['scan', critical(), '--fail-on', severity]);
    expect(code).toBe(expected);
  });

  it('--fail-on exits 0 when nothing at or above it was found', async () => {
    const { code } = await runCli(['scan', tempTree({ 'log.json': logFile([benign('ev-1')]) }), '--fail-on', 'info']);
    expect(code).toBe(0);
  });

  it.each([
    [['scan'], /needs at least one PATH/],
    [['scan', '.', '--format', 'xml'], /--format must be one of table, jsonl, ocsf/],
    [['scan', '.', '--fail-on', 'severe'], /--fail-on must be one of critical, high, medium, low, info/],
    [['scan', '.', '--batch', '0'], /--batch must be a whole number/],
    [['scan', '.', '--colour'], /Unknown option '--colour'/],
    [['scan', '-', '-'], /stdin \(-\) can be read only once/],
  ])('usage error %j exits 2 and prints the usage', async (argv, error) => {
    const { code, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(error);
    expect(stderr).toContain('Usage: trailwarden');
  });

  it('exits 2 for a PATH that does not exist, before scanning anything', async () => {
    const dir = critical();
    const { code, stdout, stderr } = await runCli(['scan', dir, join(dir, 'nope')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`trailwarden: ${join(dir, 'nope')}: no such file or directory`);
  });

  it('--config: prints every error of an invalid config and exits 2', async () => {
    const config = tempTree({
      'bad.json': JSON.stringify({
        detection: { criticality: { default: 'urgent' }, approved: { automationRole: [] } },
      }),
    });
    const { code, stderr } = await runCli(['scan', critical(), '--config', join(config, 'bad.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('detection.criticality.default: must be high, medium or low (got "urgent")');
    expect(stderr).toContain('detection.approved.automationRole: unknown key');
  });

  it('--config: applies a valid config (asset criticality shows on the finding)', async () => {
    const config = tempTree({ 'tw.json': JSON.stringify({ detection: { criticality: { default: 'high' } } }) });
    const run = await runCli(['scan', critical(), '--format', 'jsonl', '--config', join(config, 'tw.json')]);
    expect(run.code).toBe(0);
    expect(jsonLinesOf(run.stdout)[0]).toMatchObject({ criticality: 'high' });
  });

  it('uses trailwarden.config.json from the working directory when no --config is given', async () => {
    const cwd = tempTree({
      'trailwarden.config.json': JSON.stringify({ detection: { criticality: { default: 'low' } } }),
    });
    const run = await runCli(['scan', critical(), '--format', 'jsonl'], { cwd });
    expect(jsonLinesOf(run.stdout)[0]).toMatchObject({ criticality: 'low' });
    const broken = tempTree({ 'trailwarden.config.json': '{ not json' });
    const failed = await runCli(['scan', critical()], { cwd: broken });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/trailwarden\.config\.json: not valid JSON/);
  });

  it('--config names a missing file', async () => {
    const { code, stderr } = await runCli(['scan', critical(), '--config', '/nonexistent/tw.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('trailwarden: /nonexistent/tw.json: no such file');
  });

  it('--summary prints alert volume per rule and per control after the table', async () => {
    const dir = tempTree({
      'log.json': logFile([stopLogging('ev-1'), stopLogging('ev-2', { requestParameters: { name: 'other-trail' } })]),
    });
    const { code, stdout } = await runCli(['scan', dir, '--summary']);
    expect(code).toBe(0);
    const summary = stdout.slice(stdout.indexOf('Summary over'));
    expect(summary).toMatch(/^Summary over 1 day of activity: 2 findings, 2 would page \(2 per day\)\./);
    expect(summary).toMatch(/^RULE +FINDINGS +PAGED +SUPPRESSED +PER DAY +WORST +WHAT$/m);
    expect(summary).toMatch(/^cloudtrail\.logging-stopped +2 +2 +0 +2\.0 +critical +CloudTrail logging stopped/m);
    expect(summary).toMatch(/^A\.8\.15 +2 +2 +0 +2\.0 +critical +Logging$/m);
  });

  it('--summary with jsonl keeps stdout parseable: the summary goes to stderr', async () => {
    const run = await runCli(['scan', critical(), '--format', 'jsonl', '--summary']);
    expect(jsonLinesOf(run.stdout)).toHaveLength(1);
    expect(run.stderr).toContain('Summary over 1 day of activity: 1 findings, 1 would page');
  });

  it('a suppressed finding is shown flagged, counted as suppressed, and does not trip --fail-on', async () => {
    const config = tempTree({
      'tw.json': JSON.stringify({
        detection: {
          suppressions: [
            { ruleId: 'cloudtrail.*', reason: 'Trail migration to the org trail (CHG-9)', expires: '2099-01-01' },
          ],
        },
      }),
    });
    const run = await runCli([
      'scan',
      critical(),
      '--fail-on',
      'low',
      '--summary',
      '--config',
      join(config, 'tw.json'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[suppressed until 2099-01-01] CloudTrail logging stopped');
    expect(run.stdout).toContain('1 finding (1 critical; 1 suppressed, not paged)');
    expect(run.stdout).toMatch(/^cloudtrail\.logging-stopped +1 +0 +1 +0\.0 +critical/m);
  });

  it('an expired suppression stops suppressing and says so', async () => {
    const config = tempTree({
      'tw.json': JSON.stringify({
        detection: {
          suppressions: [
            { ruleId: 'cloudtrail.*', reason: 'Trail migration to the org trail (CHG-9)', expires: '2000-01-01' },
          ],
        },
      }),
    });
    const run = await runCli(['scan', critical(), '--fail-on', 'low', '--config', join(config, 'tw.json')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[suppression expired 2000-01-01] CloudTrail logging stopped');
  });
});
