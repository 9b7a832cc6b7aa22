import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Io } from './io.ts';
import { EXIT, errorLine } from './io.ts';
import type { CommandName } from './usage.ts';
import { commandUsage, USAGE } from './usage.ts';
import { productVersion } from './version.ts';

export type { Io } from './io.ts';

type Command = (args: readonly string[], io: Io, usage: () => void) => Promise<number>;

/**
 * Every command; `--help` and the help test go over this registry, so a new command cannot lack usage. Each is
 * loaded when run: `scan` need not carry the AWS SDK clients of `drill` or `replay` (memory is part of its budget).
 */
export const COMMANDS: Readonly<Record<CommandName, Command>> = {
  scan: async (args, io, usage) => (await import('./commands/scan.ts')).scanCommand(args, io, usage),
  rules: async (args, io, usage) => (await import('./commands/rules.ts')).rulesCommand(args, io, usage),
  verify: async (args, io, usage) => (await import('./commands/verify.ts')).verifyCommand(args, io, usage),
  export: async (args, io, usage) => (await import('./commands/export.ts')).exportCommand(args, io, usage),
  docs: async (args, io, usage) => (await import('./commands/docs.ts')).docsCommand(args, io, usage),
  drill: async (args, io, usage) => (await import('./commands/drill.ts')).drillCommand(args, io, usage),
  drills: async (args, io, usage) => (await import('./commands/drills.ts')).drillsCommand(args, io, usage),
  coverage: async (args, io, usage) => (await import('./commands/coverage.ts')).coverageCommand(args, io, usage),
  triage: async (args, io, usage) => (await import('./commands/triage.ts')).triageCommand(args, io, usage),
  metrics: async (args, io, usage) => (await import('./commands/metrics.ts')).metricsCommand(args, io, usage),
  review: async (args, io, usage) => (await import('./commands/review.ts')).reviewCommand(args, io, usage),
  policy: async (args, io, usage) => (await import('./commands/policy.ts')).policyCommand(args, io, usage),
  replay: async (args, io, usage) => (await import('./commands/replay.ts')).replayCommand(args, io, usage),
  'validate-trail': async (args, io, usage) =>
    (await import('./commands/validate-trail.ts')).validateTrailCommand(args, io, usage),
};

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** `--help` or `-h` among a command's own arguments (before a `--` that ends options). */
const asksForHelp = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/** The `trailwarden` command. `argv` excludes node and the script; returns the exit code. */
export const main = async (argv: readonly string[], io: Io): Promise<number> => {
  const [command, ...args] = argv;
  if (command !== undefined && isCommand(command)) {
    if (asksForHelp(args)) {
      io.stdout.write(commandUsage(command));
      return EXIT.ok;
    }
    return COMMANDS[command](args, io, () => {
      io.stderr.write(commandUsage(command));
    });
  }
  switch (command) {
    case 'help':
    case '--help':
    case '-h': {
      const topic = args[0];
      io.stdout.write(topic !== undefined && isCommand(topic) ? commandUsage(topic) : USAGE);
      return EXIT.ok;
    }
    case '--version':
      io.stdout.write(`${productVersion() ?? 'unknown'}\n`);
      return EXIT.ok;
    case undefined:
      io.stderr.write(USAGE);
      return EXIT.usage;
    default:
      errorLine(io, `unknown command: ${command}`);
      io.stderr.write(USAGE);
      return EXIT.usage;
  }
};

/** The process's own streams; colours also honour NO_COLOR (https://no-color.org). */
export const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  isTTY: {
    stdout: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    stderr: process.stderr.isTTY === true,
  },
  env: process.env,
});

/** Run as a process: `process.exitCode` rather than `process.exit()`, so piped output is flushed first. */
export const run = async (argv: readonly string[] = process.argv.slice(2)): Promise<void> => {
  // `trailwarden scan … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const io = processIo();
  // A scan runs in a thread of its own whose heap can be sized (cli/scan/thread.ts), when it can.
  const threaded =
    argv[0] === 'scan' && !asksForHelp(argv.slice(1))
      ? await (await import('./scan/thread.ts')).scanInThread(argv.slice(1), io)
      : undefined;
  process.exitCode = threaded ?? (await main(argv, io));
};

const invokedDirectly = (): boolean => {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};

if (invokedDirectly()) await run();
