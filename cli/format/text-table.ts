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

export const renderTable = <T>(columns: readonly Column<T>[], rows: readonly T[], colour: boolean): string[] => {
  const cells = rows.map((row) =>
    columns.map((c, i) => {
      const text = c.cell(row).replace(/\s+/g, ' ');
      return i === columns.length - 1 || c.max === undefined ? text : truncate(text, c.max);
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
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
