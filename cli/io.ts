import type { Readable, Writable } from 'node:stream';

/** Everything the command touches outside itself, so tests run it in-process with plain streams. */
export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  /** Colours on stdout only on a terminal; progress on stderr only on a terminal. */
  readonly isTTY: { readonly stdout: boolean; readonly stderr: boolean };
  /** Where `trailwarden.config.json` is looked up (default: the process's working directory). */
  readonly cwd?: string;
  /** Environment variables (default: the process's), e.g. where the signing key lives. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit codes: 0 fine, 1 `--fail-on` threshold reached, 2 usage or configuration error. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const errorLine = (io: Io, text: string): void => {
  io.stderr.write(`trailwarden: ${text}\n`);
};

export const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
