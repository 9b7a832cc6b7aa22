import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach } from 'vitest';
import type { Io } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { fixture } from '../../rules/fixtures/index.ts';

/** A fixture record with fields replaced (a fresh object, so tests never share state). */
export const record = (name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...(fixture(name) as Record<string, unknown>),
  ...overrides,
});

/** A StopLogging call that succeeded: the catalogue's critical `cloudtrail.logging-stopped` matches it. */
export const stopLogging = (eventID: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  record('cloudtrail/StopLogging', { eventID, ...overrides });

/** A call no rule cares about. */
export const benign = (eventID: string, overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  record('cloudtrail/StartLogging', { eventID, ...overrides });

/** A CloudTrail log file as delivered to S3. */
export const logFile = (records: readonly unknown[]): string => JSON.stringify({ Records: records });
export const gz = (text: string): Buffer => gzipSync(Buffer.from(text));
export const jsonLines = (values: readonly unknown[]): string => `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;

/** How CloudTrail records arrive through EventBridge. */
export const envelope = (detail: Record<string, unknown>): Record<string, unknown> => ({
  version: '0',
  id: `eb-${String(detail.eventID)}`,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.cloudtrail',
  account: '111122223333',
  time: detail.eventTime,
  region: detail.awsRegion,
  resources: [],
  detail,
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory populated with `files` (path → content), removed after the test. */
export const tempTree = (files: Record<string, string | Buffer> = {}): string => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwarden-cli-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
};

export const collector = () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
};

export interface RunOptions {
  readonly stdin?: Readable | string | Buffer;
  readonly cwd?: string;
  readonly tty?: boolean;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly io: Io;
}

export const ioFor = (options: RunOptions = {}) => {
  const stdout = collector();
  const stderr = collector();
  const stdin =
    options.stdin instanceof Readable
      ? options.stdin
      : Readable.from(options.stdin === undefined ? [] : [options.stdin]);
  const io: Io = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin,
    isTTY: { stdout: options.tty === true, stderr: false },
    cwd: options.cwd ?? tempTree(),
  };
  return { io, stdout: stdout.text, stderr: stderr.text };
};

/** Run the command in-process, as `trailwarden …` would. */
export const runCli = async (argv: readonly string[], options: RunOptions = {}): Promise<CliRun> => {
  const { io, stdout, stderr } = ioFor(options);
  const code = await main(argv, io);
  return { code, stdout: stdout(), stderr: stderr(), io };
};

export const jsonLinesOf = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
