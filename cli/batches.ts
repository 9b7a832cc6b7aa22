import type { AuditEvent } from '../rules/core/types.ts';

/**
 * Gathers the partial batches of small files into full ones, so the detector sees few batches, none larger
 * than `batchSize`. A full batch from a large file passes straight through without copying.
 */
export const createBatchFeeder = (batchSize: number, process: (events: readonly AuditEvent[]) => Promise<void>) => {
  let carry: AuditEvent[] = [];
  return {
    async feed(events: readonly AuditEvent[]): Promise<void> {
      if (carry.length === 0 && events.length === batchSize) return process(events);
      for (const event of events) {
        carry.push(event);
        if (carry.length === batchSize) {
          const full = carry;
          carry = [];
          await process(full);
        }
      }
    },
    async end(): Promise<void> {
      if (carry.length === 0) return;
      const rest = carry;
      carry = [];
      await process(rest);
    },
  };
};

/**
 * The batches `createBatchFeeder` would form from the whole stream of events, given only some of them: each
 * chunk says how many events it held (`count`) and where in it the given ones sat (`at`). An event at stream
 * position p goes to batch floor(p / batchSize), as it would have; a batch left with no events is not processed.
 */
export const createPositionFeeder = (batchSize: number, process: (events: readonly AuditEvent[]) => Promise<void>) => {
  let position = 0;
  let batchNo = 0;
  let batch: AuditEvent[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    await process(full);
  };
  return {
    async feed(count: number, at: readonly number[], events: readonly AuditEvent[]): Promise<void> {
      for (let k = 0; k < events.length; k++) {
        const n = Math.floor((position + (at[k] ?? 0)) / batchSize);
        if (n !== batchNo) {
          await flush();
          batchNo = n;
        }
        batch.push(events[k] as AuditEvent);
      }
      position += count;
      // Every position of the batch has been fed: process it now, as a feeder of every event would, rather than
      // hold it until an event of a later batch arrives.
      if (Math.floor(position / batchSize) !== batchNo) await flush();
    },
    end: flush,
  };
};
