import { createHash } from 'node:crypto';

/** DynamoDB partition keys are limited to 2048 bytes; long group keys (ARNs, policy names) are hashed. */
export const itemKey = (
  kind: 'counter' | 'dedup' | 'elevated' | 'heartbeat' | 'history' | 'incident',
  key: string,
): string =>
  Buffer.byteLength(key) <= 900 ? `${kind}#${key}` : `${kind}#sha256:${createHash('sha256').update(key).digest('hex')}`;

/** Run `fn` over `items` with at most `limit` in flight, keeping order. */
export const mapLimit = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};
