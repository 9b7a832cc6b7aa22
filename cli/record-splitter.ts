/**
 * Reads the records array of a CloudTrail log file (`{"Records":[…]}`) or of a JSON array (`[…]`) as its bytes
 * arrive, so a reader holds a chunk of text and the records parsed from it, never the whole file: a
 * 200 MB log file is read in the memory of a small one.
 *
 * Fast path: records are parsed in groups of about {@link GROUP_BYTES}, cut where the bytes `},{"K"` follow (K: the
 * first key of the first record, `eventVersion` in every CloudTrail file). Such a cut may fall inside a record
 * (an array of objects with that key), but then the group is not valid JSON: `JSON.parse` of `[group]` succeeds
 * only when the group is exactly a run of whole elements, so a wrong guess costs one failed parse, never a wrong
 * record. On any failure the exact path takes over for that stretch: a scanner that tracks strings, escapes and
 * nesting finds each element's end, and each element is parsed alone, so a bad one is named by its index and the
 * others are kept. Parsing stays one `JSON.parse` over each byte, as a whole-file parse does.
 */

/** Bytes of records parsed at once on the fast path: 64 KiB groups parse faster than whole files (measured). */
export const GROUP_BYTES = 64 * 1024;
/** Unsplit bytes held while waiting for a cut before the exact path takes them (keeps memory bounded). */
const MAX_PENDING = 4 * 1024 * 1024;
/** Elements the exact path parses per call. */
const EXACT_ELEMENTS = 512;
/** How much of a file's start `openingOf` needs to decide. */
export const OPENING_PEEK = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;

const isBlank = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The opening of a log file document, up to its records array: `{"Records":[`, any JSON whitespace between. */
const LOG_FILE_OPENING = /^(?:\xEF\xBB\xBF)?[ \t\r\n]*\{[ \t\r\n]*"Records"[ \t\r\n]*:[ \t\r\n]*\[/;
const ARRAY_OPENING = /^(?:\xEF\xBB\xBF)?[ \t\r\n]*\[/;

export type Opening =
  | {
      readonly kind: 'records';
      readonly container: 'Records' | '';
      /** Bytes up to and including the `[`. */
      readonly length: number;
      /** The opening spans lines (a pretty-printed document): positions inside are not per line. */
      readonly multiline: boolean;
    }
  | { readonly kind: 'other' }
  /** Not enough bytes yet to tell. */
  | { readonly kind: 'unknown' };

/** Whether `head` (a file's first bytes, after any byte-order mark) opens a log file document or a JSON array. */
export const openingOf = (head: Buffer, eof: boolean): Opening => {
  const text = head.toString('latin1', 0, Math.min(head.length, OPENING_PEEK));
  const match = LOG_FILE_OPENING.exec(text) ?? ARRAY_OPENING.exec(text);
  if (match !== null) {
    return {
      kind: 'records',
      container: match[0].includes('Records') ? 'Records' : '',
      length: match[0].length,
      multiline: match[0].includes('\n'),
    };
  }
  if (eof || head.length >= OPENING_PEEK) return { kind: 'other' };
  const squeezed = text.replace(/^\xEF\xBB\xBF/, '').replace(/[ \t\r\n]+/g, '');
  const want = '{"Records":[';
  return want.startsWith(squeezed) ? { kind: 'unknown' } : { kind: 'other' };
};

/**
 * What `next` hands back: parsed elements in order (an element that is not JSON is `undefined` in `values`, its
 * error in `bad` by its index there), `more` (push bytes or call `end`), `cut` (the input ended inside the
 * document), `done` (the document is closed; `rest` holds what follows it).
 */
export type Piece =
  | {
      readonly kind: 'values';
      readonly values: readonly unknown[];
      readonly bad: ReadonlyMap<number, string> | undefined;
    }
  | { readonly kind: 'more' }
  | { readonly kind: 'cut' }
  | { readonly kind: 'done' };

export interface RecordSplitter {
  readonly push: (chunk: Buffer) => void;
  /** No more bytes will come. */
  readonly end: () => void;
  readonly next: () => Piece;
  /** Elements read so far, good or bad. */
  readonly count: () => number;
  /** The bytes after the document, once `next` said `done`. */
  readonly rest: () => Buffer;
}

const MORE: Piece = { kind: 'more' };
const DONE: Piece = { kind: 'done' };

/** Index just past the string whose opening quote is at `q`, or -1 when the bytes end first. */
const stringEnd = (buf: Buffer, q: number): number => {
  let i = buf.indexOf(QUOTE, q + 1);
  while (i !== -1) {
    let slashes = 0;
    for (let k = i - 1; buf[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return i + 1;
    i = buf.indexOf(QUOTE, i + 1);
  }
  return -1;
};

/**
 * Index just past the value that starts at `start` (an object, array, string or scalar), or -1 when the bytes end
 * first. `depth` > 0 starts inside an open object: the value is then what closes it.
 */
export const valueEnd = (buf: Buffer, start: number, depth = 0): number => {
  const n = buf.length;
  const first = buf[start];
  if (depth === 0 && first === QUOTE) return stringEnd(buf, start);
  if (depth === 0 && first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A scalar: up to the next separator.
    for (let i = start; i < n; i++) {
      const c = buf[i];
      if (c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || isBlank(c)) return i;
    }
    return -1;
  }
  let d = depth;
  let i = start;
  while (i < n) {
    const c = buf[i];
    if (c === QUOTE) {
      const e = stringEnd(buf, i);
      if (e === -1) return -1;
      i = e;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) d++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      d--;
      if (d === 0) return i + 1;
    }
    i++;
  }
  return -1;
};

const parseError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A splitter for the elements after the opening `[` (see `openingOf`). `container` 'Records': after the array,
 * the enclosing object is read to its closing brace (any later keys skipped); '': the array is the document.
 */
export const createRecordSplitter = (container: 'Records' | ''): RecordSplitter => {
  let pending: Buffer = Buffer.alloc(0);
  let pos = 0;
  let ended = false;
  let phase: 'between' | 'after' | 'done' = 'between';
  let count = 0;
  /** `},{"K"`, from the first record's first key; null: the first element gave none (exact path only). */
  let hint: Buffer | null | undefined;

  const learnHint = (): boolean => {
    if (pos + 1 >= pending.length && !ended) return false;
    if (pending[pos] !== OPEN_BRACE || pending[pos + 1] !== QUOTE) {
      hint = null;
      return true;
    }
    const close = pending.indexOf(QUOTE, pos + 2);
    if (close === -1 || close - pos > 256) {
      if (close === -1 && !ended && pending.length - pos < 256) return false;
      hint = null;
      return true;
    }
    hint = Buffer.concat([Buffer.from('},'), pending.subarray(pos, close + 1)]);
    return true;
  };

  /** Parse `[pos, end)` as whole elements; on success the elements are read and `pos` moves to `next`. */
  const group = (end: number, next: number): Piece | undefined => {
    let values: unknown;
    try {
      values = JSON.parse(`[${pending.toString('utf8', pos, end)}]`);
    } catch {
      return undefined;
    }
    const list = values as unknown[];
    count += list.length;
    pos = next;
    return { kind: 'values', values: list, bad: undefined };
  };

  /** The exact path: element by element from `pos`, each parsed alone. */
  const exact = (): Piece => {
    const values: unknown[] = [];
    let bad: Map<number, string> | undefined;
    while (values.length < EXACT_ELEMENTS) {
      while (pos < pending.length && (isBlank(pending[pos]) || pending[pos] === COMMA)) pos++;
      if (pos >= pending.length || pending[pos] === CLOSE_BRACKET) break;
      const end = valueEnd(pending, pos);
      if (end === -1) break;
      try {
        values.push(JSON.parse(pending.toString('utf8', pos, end)));
      } catch (err) {
        bad ??= new Map();
        bad.set(values.length, `invalid JSON: ${parseError(err)}`);
        values.push(undefined);
      }
      // A value that ends without a separator after it (`{…}x`) must not loop: the next byte starts the next.
      pos = end > pos ? end : pos + 1;
    }
    count += values.length;
    return values.length === 0 ? (ended ? cut() : MORE) : { kind: 'values', values, bad };
  };

  const cut = (): Piece => {
    phase = 'done';
    pos = pending.length;
    return { kind: 'cut' };
  };

  /** At eof: the rest of the array in one group, when the bytes end with `]` (and `}` for a log file). */
  const tail = (): Piece | undefined => {
    let e = pending.length - 1;
    while (e > pos && isBlank(pending[e])) e--;
    if (container === 'Records') {
      if (pending[e] !== CLOSE_BRACE) return undefined;
      e--;
      while (e > pos && isBlank(pending[e])) e--;
    }
    if (pending[e] !== CLOSE_BRACKET || e <= pos) return undefined;
    return group(e, e);
  };

  const between = (): Piece => {
    for (;;) {
      while (pos < pending.length && (isBlank(pending[pos]) || pending[pos] === COMMA)) pos++;
      if (pos >= pending.length) return ended ? cut() : MORE;
      if (pending[pos] === CLOSE_BRACKET) {
        pos++;
        if (container === '') {
          phase = 'done';
          return DONE;
        }
        phase = 'after';
        return after();
      }
      if (hint === undefined && !learnHint()) return MORE;
      if (hint) {
        let h = pending.indexOf(hint, pos + GROUP_BYTES);
        if (h === -1) h = pending.lastIndexOf(hint);
        if (h > pos) {
          const read = group(h + 1, h + 2);
          if (read !== undefined) return read;
          return exact();
        }
      }
      if (ended) return tail() ?? exact();
      if (pending.length - pos > MAX_PENDING || hint === null) return exact();
      return MORE;
    }
  };

  /** Past the array: skip whatever else the log file object holds, to its closing brace. */
  const after = (): Piece => {
    const end = valueEnd(pending, pos, 1);
    if (end === -1) return ended ? cut() : MORE;
    pos = end;
    phase = 'done';
    return DONE;
  };

  return {
    push: (chunk) => {
      pending = pos >= pending.length ? chunk : Buffer.concat([pending.subarray(pos), chunk]);
      pos = 0;
    },
    end: () => {
      ended = true;
    },
    next: () => (phase === 'done' ? DONE : phase === 'after' ? after() : between()),
    count: () => count,
    rest: () => pending.subarray(pos),
  };
};

/** Newlines in `buf` before `end`: the line a following document starts on. */
export const newlines = (buf: Buffer, end: number): number => {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE); i !== -1 && i < end; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
};
