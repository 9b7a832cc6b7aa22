import { execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
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

describe('the prebuilt CLI (dist/cli, npm run build)', () => {
  const built = join(root, 'dist', 'cli', 'main.mjs');
  beforeAll(async () => {
    // `npm test` builds first; a lone vitest run builds here.
    if (!existsSync(built)) await run(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root });
  }, 120_000);

  it('is built on every install (prepare) and before the tests', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.prepare).toBe('node scripts/build-cli.mjs');
    expect(scripts.test).toMatch(/^npm run build && /);
  });

  // Plain node cannot import TypeScript: these pass only if the bundle needs no loader and finds its files.
  const viaBundle = (args: readonly string[], cwd: string, nodeFlags: readonly string[] = []) =>
    run(
      process.execPath,
      [
        ...nodeFlags,
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`file://${built}`)}); await m.run(${JSON.stringify(args)});`,
      ],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
    );

  it('answers --help with plain node', async () => {
    const { stdout } = await viaBundle(['--help'], root);
    expect(stdout).toContain('Usage: trailwarden <command>');
  }, 60_000);

  it('scans with plain node, its workers started from the prebuilt worker script', async () => {
    const dir = tempTree({
      'a.json.gz': gz(logFile([stopLogging('ev-a')])),
      'b.json.gz': gz(logFile([stopLogging('ev-b', { requestParameters: { name: 'trail-b' } })])),
    });
    const { stdout, stderr } = await viaBundle(['scan', dir, '--format', 'jsonl', '--jobs', '2'], dir);
    expect(
      jsonLinesOf(stdout)
        .flatMap((f) => f.eventIds)
        .sort(),
    ).toEqual(['ev-a', 'ev-b']);
    expect(stderr).toMatch(/scanned 2 events in 2 files/);
    expect(existsSync(join(root, 'dist', 'cli', 'scan-worker.cjs'))).toBe(true);
  }, 60_000);

  it('starts its workers when node was given V8 options, which a worker refuses explicitly', async () => {
    const dir = tempTree({ 'a.json': logFile([stopLogging('ev-a')]), 'b.json': logFile([stopLogging('ev-b')]) });
    const { stderr } = await viaBundle(['scan', dir, '--jobs', '2'], dir, ['--max-old-space-size=512']);
    expect(stderr).toMatch(/scanned 2 events in 2 files.*0 unreadable files/);
  }, 60_000);

  it('runs a scan in a thread of its own: its output in the order written, its exit code kept', async () => {
    const dir = tempTree({ 'a.json': logFile([stopLogging('ev-a')]), 'b.json': logFile([stopLogging('ev-b')]) });
    const out = join(tempTree(), 'out.txt');
    const fd = openSync(out, 'w');
    // stdout and stderr into one file, as a terminal shows them: the closing line comes after the summary.
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'scan', dir, '--summary', '--fail-on', 'high'], {
        cwd: dir,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, NO_COLOR: '1' },
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    closeSync(fd);
    expect(code).toBe(1);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^scanned 2 events in 2 files/);
    expect(lines.findIndex((l) => l.includes('cloudtrail.logging-stopped'))).toBeGreaterThanOrEqual(0);
    expect(lines.filter((l) => l.startsWith('scanned '))).toHaveLength(1);
  }, 60_000);

  it('says when the scan ran out of memory, and how to give it more', async () => {
    const dir = tempTree({ 'a.json': logFile([stopLogging('ev-a')]) });
    // 8 MB: the scan thread's heap, which loading the catalogue overflows (the main thread loads far less).
    const failed = await run(process.execPath, ['--max-old-space-size=8', bin, 'scan', dir], { cwd: dir }).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('the scan ran out of memory (its heap is capped at 8 MB)');
  }, 60_000);

  it('reads stdin in the main thread (a thread has none of its own)', async () => {
    const dir = tempTree();
    const child = spawn(process.execPath, [bin, 'scan', '-', '--format', 'jsonl'], { cwd: dir });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stdin.end(logFile([stopLogging('ev-stdin')]));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(jsonLinesOf(stdout).map((f) => f.eventIds)).toEqual([['ev-stdin']]);
  }, 60_000);

  it('the bin falls back to the sources through tsx without the build', async () => {
    const { stdout } = await run(process.execPath, [bin, 'rules', '--help'], {
      cwd: root,
      env: { ...process.env, TRAILWARDEN_FROM_SOURCE: '1' },
    });
    expect(stdout).toContain('Usage: trailwarden rules');
  }, 60_000);
});
