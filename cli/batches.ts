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
