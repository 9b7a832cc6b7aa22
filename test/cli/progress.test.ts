import { describe, expect, it } from 'vitest';
import { createBatchFeeder } from '../../cli/batches.ts';
import { createProgress } from '../../cli/progress.ts';
import type { AuditEvent } from '../../rules/core/types.ts';
import { collector } from './helpers.ts';

describe('progress', () => {
  it('updates at most four times a second and clears its line', () => {
    const out = collector();
    let now = 0;
    const progress = createProgress(out.stream, true, () => now);
    for (const t of [100, 200, 300, 350, 560, 600]) {
      now = t;
      progress.update({ events: t * 10, files: 1 });
    }
    expect(out.text().split('\r\u001b[K').filter(Boolean)).toEqual([
      '1,000 events, 1 file done, 10,000 events/s',
      '3,500 events, 1 file done, 10,000 events/s',
      '6,000 events, 1 file done, 10,000 events/s',
    ]);
    progress.clear();
    expect(out.text().endsWith('\r\u001b[K')).toBe(true);
  });

  it('writes nothing when stderr is not a terminal', () => {
    const out = collector();
    const progress = createProgress(out.stream, false);
    progress.update({ events: 1, files: 1 });
    progress.clear();
    expect(out.text()).toBe('');
  });
});

describe('batch feeder', () => {
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i) }) as unknown as AuditEvent);

  it('passes full batches through and gathers partial ones', async () => {
    const seen: number[] = [];
    const full = events(4);
    const feeder = createBatchFeeder(4, async (batch) => {
      seen.push(batch.length);
      if (batch.length === 4 && seen.length === 1) expect(batch).toBe(full);
    });
    await feeder.feed(full);
    await feeder.feed(events(3));
    await feeder.feed(events(3));
    await feeder.feed(events(1));
    await feeder.end();
    await feeder.end();
    expect(seen).toEqual([4, 4, 3]);
  });
});
