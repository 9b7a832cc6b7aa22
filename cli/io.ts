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

/**
 * C0 and C1 control characters (ESC, CR, newline, BEL, …) and the Unicode bidirectional overrides: what input
 * (a file name, a bad line, a user name an attacker typed into the console) could use to rewrite the terminal,
 * forge a line of output or reorder what the reader sees.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `\x1b`, `\r`, `\u202e`: control characters made visible and harmless, the rest of the text unchanged. */
export const escapeControl = (text: string): string =>
  text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });

/** One line on stderr. Every message is escaped: most echo input (file names, bad lines, rule errors). */
export const errorLine = (io: Io, text: string): void => {
  io.stderr.write(`trailwarden: ${escapeControl(text)}\n`);
};

export const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
