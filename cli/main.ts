import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { coverageCommand } from './commands/coverage.ts';
import { docsCommand } from './commands/docs.ts';
import { drillCommand } from './commands/drill.ts';
import { exportCommand } from './commands/export.ts';
import { rulesCommand } from './commands/rules.ts';
import { scanCommand } from './commands/scan.ts';
import { verifyCommand } from './commands/verify.ts';
import type { Io } from './io.ts';
import { EXIT, errorLine } from './io.ts';
import { USAGE } from './usage.ts';
import { productVersion } from './version.ts';

export type { Io } from './io.ts';

/** The `trailwarden` command. `argv` excludes node and the script; returns the exit code. */
export const main = async (argv: readonly string[], io: Io): Promise<number> => {
  const [command, ...args] = argv;
  const usage = (): void => {
    io.stderr.write(USAGE);
  };
  switch (command) {
    case 'scan':
      return scanCommand(args, io, usage);
    case 'rules':
      return rulesCommand(args, io, usage);
    case 'verify':
      return verifyCommand(args, io, usage);
    case 'export':
      return exportCommand(args, io, usage);
    case 'docs':
      return docsCommand(args, io, usage);
    case 'drill':
      return drillCommand(args, io, usage);
    case 'coverage':
      return coverageCommand(args, io, usage);
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return EXIT.ok;
    case '--version':
      io.stdout.write(`${productVersion() ?? 'unknown'}\n`);
      return EXIT.ok;
    case undefined:
      usage();
      return EXIT.usage;
    default:
      errorLine(io, `unknown command: ${command}`);
      usage();
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
  process.exitCode = await main(argv, processIo());
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
