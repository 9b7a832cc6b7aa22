import { escapeControl } from '../io.ts';

/** A plain-text grid: columns padded to their widest cell, numbers right-aligned, long cells cut with `…`. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
  readonly align?: 'left' | 'right';
  /** Cells longer than this are shortened; the last column is never cut. */
  readonly max?: number;
  /** Applied after padding, so escape codes never disturb alignment. */
  readonly paint?: (padded: string, row: T) => string;
}

export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;

/**
 * A cell's text, whatever the row holds: a cell function that throws or returns a non-string (a finding built by
 * hand, read back from an old archive) prints `?` instead of costing the whole table. Control characters are
 * escaped, since cells echo input: a user name typed into the console can carry ESC sequences.
 */
const cellText = <T>(c: Column<T>, row: T): string => {
  let text: string;
  try {
    const value: unknown = c.cell(row);
    text = typeof value === 'string' ? value : String(value);
  } catch {
    text = '?';
  }
  return escapeControl(text.replace(/\s+/g, ' '));
};

export const renderTable = <T>(columns: readonly Column<T>[], rows: readonly T[], colour: boolean): string[] => {
  const cells = rows.map((row) =>
    columns.map((c, i) => {
      const text = cellText(c, row);
      return i === columns.length - 1 || c.max === undefined ? text : truncate(text, c.max);
    }),
  );
  // A loop, not Math.max(...cells): spreading one argument per row overflows the stack past ~100k rows.
  const widths = columns.map((c, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), c.header.length));
  const line = (texts: readonly string[], row: T | undefined): string =>
    columns
      .map((c, i) => {
        const text = texts[i] ?? '';
        const last = i === columns.length - 1;
        const width = widths[i] ?? 0;
        const padded = c.align === 'right' ? text.padStart(width) : last ? text : text.padEnd(width);
        return colour && row !== undefined && c.paint ? c.paint(padded, row) : padded;
      })
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((c) => c.header),
    undefined,
  );
  return [colour ? `\u001b[1m${header}\u001b[0m` : header, ...cells.map((texts, r) => line(texts, rows[r]))];
};
