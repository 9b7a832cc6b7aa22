import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { gz, jsonLinesOf, logFile, runCli, stopLogging, tempTree } from './helpers.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'trailwarden.js');
const run = promisify(execFile);

describe('trailwarden (command dispatch)', () => {
  it.each([['--help'], ['help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
    const { code, stdout } = await runCli([flag]);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: trailwarden <command>');
    expect(stdout).toContain('--fail-on SEVERITY');
  });

  it.each([[['deploy']], [[]]])('%j prints the usage on stderr and exits 2', async (argv) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: trailwarden <command>');
  });

  it('names an unknown command', async () => {
    const { stderr } = await runCli(['deploy']);
    expect(stderr).toContain('trailwarden: unknown command: deploy');
  });
});

describe('bin/trailwarden.js', () => {
  it('is executable', () => {
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
  });

  it('runs the TypeScript command as a process, with exit codes', async () => {
    const dir = tempTree({ 'log.json.gz': gz(logFile([stopLogging('ev-bin')])) });
    const ok = await run(process.execPath, [bin, 'scan', dir, '--format', 'jsonl'], { cwd: dir });
    expect(jsonLinesOf(ok.stdout).map((f) => f.eventIds)).toEqual([['ev-bin']]);
    expect(ok.stderr).toMatch(/scanned 1 event in 1 file/);
    const failed = await run(process.execPath, [bin, 'scan', dir, '--fail-on', 'high'], { cwd: dir }).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    expect(failed).toBe(1);
  });
});
