import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gz, jsonLines, jsonLinesOf, logFile, runCli, stopLogging, tempTree } from './helpers.ts';

/** issue #16 item 6: records with fields of the wrong JSON type, through the CLI and every format. */
describe('trailwarden scan: records with wrong-typed fields', () => {
  const hostile = () =>
    jsonLines([
      stopLogging('ev-1', { recipientAccountId: 7, requestParameters: { name: 'trail-1' } }),
      stopLogging('ev-2', {
        userIdentity: { type: 'IAMUser', arn: {}, userName: [] },
        requestParameters: { name: 'trail-2' },
        recipientAccountId: '444455556666',
      }),
      stopLogging('ev-3', { requestParameters: 'x', resources: {}, recipientAccountId: '111122223333' }),
      stopLogging('ev-4', { eventSource: 7 }),
    ]);

  it.each(['table', 'jsonl', 'ocsf'])(
    '--format %s prints every finding and names each dropped field',
    async (format) => {
      const dir = tempTree({ 'hostile.jsonl': hostile() });
      const { code, stdout, stderr } = await runCli([
        'scan',
        join(dir, 'hostile.jsonl'),
        '--format',
        format,
        '--summary',
      ]);
      expect(code).toBe(0);
      expect(stderr).toContain('hostile.jsonl:1: recipientAccountId: number, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:2: userIdentity.arn: object, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:2: userIdentity.userName: array, not string; ignored');
      expect(stderr).toContain('hostile.jsonl:3: requestParameters: string, not object or null; ignored');
      expect(stderr).toContain('hostile.jsonl:3: resources: object, not array of objects; ignored');
      expect(stderr).toContain('hostile.jsonl:4: record eventSource is number, not string');
      expect(stderr).toMatch(/skipped: 1 bad line, .*fields of the wrong type ignored: 5/);
      if (format === 'table') {
        expect(stdout).toMatch(/^3 findings \(3 critical\); /m);
        expect(stdout).toContain('444455556666');
      } else {
        const findings = jsonLinesOf(stdout);
        expect(findings).toHaveLength(3);
        expect(JSON.stringify(findings)).toContain('record field recipientAccountId: number, not string; ignored');
      }
    },
  );
});

/** issue #16 item 7: inputs that hang, explode or vanish. */
describe('trailwarden scan: inputs that hang or vanish', () => {
  const stop = (id: string) => jsonLines([stopLogging(id, { requestParameters: { name: `trail-${id}` } })]);
  const ids = (stdout: string) => jsonLinesOf(stdout).flatMap((f) => f.eventIds as string[]);

  it('walks two self-referencing symlinks once, and says so', async () => {
    const dir = tempTree({ 'logs/x.jsonl': stop('ev-1') });
    symlinkSync('.', join(dir, 'logs', 'self-a'));
    symlinkSync('..', join(dir, 'logs', 'self-b'));
    const { code, stdout, stderr } = await runCli(['scan', dir, '--format', 'jsonl']);
    expect(code).toBe(0);
    expect(ids(stdout)).toEqual(['ev-1']);
    expect(stderr).toContain('directory walk skipped 2 files: 2 directory already visited (symlink loop)');
  });

  it('skips a FIFO in a directory and one named on the command line, without blocking', async () => {
    const dir = tempTree({ 'x.jsonl': stop('ev-1') });
    execFileSync('mkfifo', [join(dir, 'pipe.json'), join(dir, 'named')]);
    const { code, stdout, stderr } = await runCli(['scan', dir, join(dir, 'named'), '--format', 'jsonl']);
    expect(code).toBe(0);
    expect(ids(stdout)).toEqual(['ev-1']);
    expect(stderr).toContain(`trailwarden: ${join(dir, 'named')}: not a regular file (FIFO); skipped`);
    expect(stderr).toContain('directory walk skipped 2 files: 2 FIFO');
  });

  it('skips /dev/zero named on the command line instead of reading it forever', async () => {
    const { stderr } = await runCli(['scan', '/dev/zero', '--format', 'jsonl']);
    expect(stderr).toContain('trailwarden: /dev/zero: not a regular file (device); skipped');
  });

  it('reads .log, .log.gz and extension-less JSON or gzip files in a directory; counts what it skips', async () => {
    const dir = tempTree({
      'a.log': stop('ev-log'),
      'b.log.gz': gz(stop('ev-log-gz')),
      c: stop('ev-bare'),
      d: gz(stop('ev-bare-gz')),
      'e.txt': stop('ev-txt'),
      f: 'not json at all',
    });
    const { stdout, stderr } = await runCli(['scan', dir, '--format', 'jsonl']);
    expect(ids(stdout).sort()).toEqual(['ev-bare', 'ev-bare-gz', 'ev-log', 'ev-log-gz']);
    expect(stderr).toContain(
      'directory walk skipped 2 files: 1 not a log file name, 1 no extension and not JSON or gzip',
    );
  });

  it('keeps every complete record before the damage in a gzip, and says where the damage is', async () => {
    const records = Array.from({ length: 400 }, (_, i) =>
      stopLogging(`ev-${i}`, { requestParameters: { name: `trail-${i}` }, userAgent: `agent-${i}-${'x'.repeat(200)}` }),
    );
    const whole = gz(logFile(records));
    const cut = Math.floor(whole.length / 2);
    const dir = tempTree({ 'damaged.json.gz': whole.subarray(0, cut) });
    const { stdout, stderr } = await runCli(['scan', dir, '--format', 'jsonl']);
    const kept = ids(stdout);
    expect(kept.length).toBeGreaterThan(50);
    expect(kept).toEqual(expect.arrayContaining(['ev-0', 'ev-1', 'ev-2']));
    expect(stderr).toMatch(
      new RegExp(
        `damaged\\.json\\.gz: corrupt or truncated gzip at compressed byte ${cut}, after \\d+ bytes of text \\(unexpected end of file\\); kept ${kept.length} complete records before it`,
      ),
    );
  });

  it('escapes control characters from file names and bad lines before they reach the terminal', async () => {
    const name = 'evil\u001b[2J\rname.jsonl';
    const dir = tempTree({ [name]: '\u001b]0;owned\u0007\u001b[31m not json\r\n' });
    const { stderr } = await runCli(['scan', dir, '--format', 'jsonl']);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may reach the terminal
    expect(stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(stderr).toContain('evil\\x1b[2J\\x0dname.jsonl:1: invalid JSON');
  });
});
