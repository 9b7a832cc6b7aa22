import { GetItemCommand } from '@aws-sdk/client-dynamodb';

/** Deterministic interleavings of DynamoDB requests, for tests of conditional writes against DynamoDB Local. */

type Sendable = { send: (...args: never[]) => unknown };
/** A consistent read of an item, optionally only of items whose key starts with `keyPrefix`. */
const isRead = (command: unknown, keyPrefix: string) =>
  command instanceof GetItemCommand && (command.input.Key?.pk?.S ?? '').startsWith(keyPrefix);

/**
 * A client whose first `parties` reads (of keys starting with `keyPrefix`) are held until all of them have
 * returned: every racer then decides on the same (stale) view before any of them writes, which is exactly the
 * interleaving conditional writes exist for. Later reads (the retries after a failed condition) pass through.
 */
export const readBarrier = <C extends Sendable>(client: C, parties: number, keyPrefix = ''): C => {
  let arrived = 0;
  let done = 0;
  let open = () => {};
  const allRead = new Promise<void>((resolve) => {
    open = resolve;
  });
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      const send = (target.send as (...a: unknown[]) => Promise<unknown>).bind(target);
      return async (command: unknown, ...rest: unknown[]) => {
        if (!isRead(command, keyPrefix) || arrived >= parties) return send(command, ...rest);
        arrived++;
        const out = await send(command, ...rest);
        if (++done === parties) open();
        await allRead;
        return out;
      };
    },
  });
};

/** A client whose first read returns only once `release()` is called; `read` settles when that read is done. */
export const heldRead = <C extends Sendable>(client: C, keyPrefix = '') => {
  let held = false;
  let readDone = () => {};
  let release = () => {};
  const read = new Promise<void>((resolve) => {
    readDone = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      const send = (target.send as (...a: unknown[]) => Promise<unknown>).bind(target);
      return async (command: unknown, ...rest: unknown[]) => {
        if (!isRead(command, keyPrefix) || held) return send(command, ...rest);
        held = true;
        const out = await send(command, ...rest);
        readDone();
        await released;
        return out;
      };
    },
  });
  return { client: proxy, read, release };
};
