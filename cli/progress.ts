import type { Writable } from 'node:stream';

/** At most four updates a second: enough to see it move, too few to slow the scan. */
export const PROGRESS_INTERVAL_MS = 250;

export interface ProgressCounts {
  readonly events: number;
  readonly files: number;
}

/** One progress line on a terminal, overwritten in place; `clear` it before printing anything else. */
export const createProgress = (stream: Writable, enabled: boolean, now: () => number = () => performance.now()) => {
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return {
    update(counts: ProgressCounts): void {
      if (!enabled) return;
      const t = now();
      if (t - last < PROGRESS_INTERVAL_MS) return;
      last = t;
      shown = true;
      const rate = Math.round(counts.events / Math.max((t - started) / 1000, 0.001));
      const files = `${counts.files} file${counts.files === 1 ? '' : 's'}`;
      stream.write(
        `\r\u001b[K${counts.events.toLocaleString('en-US')} events, ${files} done, ${rate.toLocaleString('en-US')} events/s`,
      );
    },
    clear(): void {
      if (!shown) return;
      shown = false;
      stream.write('\r\u001b[K');
    },
  };
};
