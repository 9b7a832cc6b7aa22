import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/main.ts';
import { COMMAND_USAGE } from '../../cli/usage.ts';
import { runCli } from './helpers.ts';

const names = Object.keys(COMMANDS);

describe('every command answers --help', () => {
  it('the registry and the help text list the same commands', () => {
    expect(Object.keys(COMMAND_USAGE).sort()).toEqual([...names].sort());
  });

  it.each(
    names.flatMap((name) => [
      [name, '--help'],
      [name, '-h'],
    ]),
  )('%s %s prints its own usage on stdout and exits 0', async (name, flag) => {
    const { code, stdout, stderr } = await runCli([name, flag]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.startsWith(`Usage: trailwarden ${name}`)).toBe(true);
    // Only this command's section, not the whole help.
    // (a whole word: `drill` is a prefix of `drills`)
    for (const other of names.filter((n) => n !== name)) {
      expect(stdout).not.toMatch(new RegExp(`Usage: trailwarden ${other}(\\s|$)`));
    }
  });

  it('--help wins over other options and missing arguments', async () => {
    const { code, stdout } = await runCli(['scan', '--format', 'nope', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--fail-on SEVERITY');
  });

  it('help COMMAND is the same text', async () => {
    expect((await runCli(['help', 'triage'])).stdout).toBe((await runCli(['triage', '--help'])).stdout);
  });

  it('a usage error prints the command usage on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runCli(['metrics']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('trailwarden: metrics needs --source');
    expect(stderr).toContain('Usage: trailwarden metrics');
  });
});
