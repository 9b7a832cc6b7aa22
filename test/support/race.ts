/** Deterministic interleavings of DynamoDB requests, for tests of conditional writes against DynamoDB Local. */

type Callable = { call: (op: never, input: never) => Promise<unknown> };
type RawCall = (op: string, input: unknown) => Promise<unknown>;

/** A consistent read of an item, optionally only of items whose key starts with `keyPrefix`. */
const isRead = (op: string, input: unknown, keyPrefix: string) =>
  op === 'GetItem' &&
  ((input as { Key?: { pk?: { S?: string } } } | undefined)?.Key?.pk?.S ?? '').startsWith(keyPrefix);

/** `client` with its `call` replaced by `wrap(original call)`; every other member is the client's own. */
export const interceptCalls = <C extends Callable>(client: C, wrap: (call: RawCall) => RawCall): C => {
  const call = wrap((client.call as unknown as RawCall).bind(client));
  return new Proxy(client, {
    get: (target, prop, receiver) => (prop === 'call' ? call : Reflect.get(target, prop, receiver)),
  });
};

/**
 * A client whose first `parties` reads (of keys starting with `keyPrefix`) are held until all of them have
 * returned: every racer then decides on the same (stale) view before any of them writes, which is exactly the
 * interleaving conditional writes exist for. Later reads (the retries after a failed condition) pass through.
 */
export const readBarrier = <C extends Callable>(client: C, parties: number, keyPrefix = ''): C => {
  let arrived = 0;
  let done = 0;
  let open = () => {};
  const allRead = new Promise<void>((resolve) => {
    open = resolve;
  });
  return interceptCalls(client, (call) => async (op, input) => {
    if (!isRead(op, input, keyPrefix) || arrived >= parties) return call(op, input);
    arrived++;
    const out = await call(op, input);
    if (++done === parties) open();
    await allRead;
    return out;
  });
};

/** A client whose first read returns only once `release()` is called; `read` settles when that read is done. */
export const heldRead = <C extends Callable>(client: C, keyPrefix = '') => {
  let held = false;
  let readDone = () => {};
  let release = () => {};
  const read = new Promise<void>((resolve) => {
    readDone = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const proxy = interceptCalls(client, (call) => async (op, input) => {
    if (!isRead(op, input, keyPrefix) || held) return call(op, input);
    held = true;
    const out = await call(op, input);
    readDone();
    await released;
    return out;
  });
  return { client: proxy, read, release };
};
