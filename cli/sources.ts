import type { Stats } from 'node:fs';
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TransformOptions } from 'node:stream';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ZlibOptions } from 'node:zlib';
import { createGunzip } from 'node:zlib';
import { toAuditEvent } from '../rules/core/events.ts';
import type { AuditEvent } from '../rules/core/types.ts';
import { fromForeignRecord } from './foreign-records.ts';
import type { RecordSplitter } from './record-splitter.ts';
import { createRecordSplitter, OPENING_PEEK, openingOf, valueEnd } from './record-splitter.ts';

/** One thing to read: a file found on disk, or standard input. */
export type Input =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin'; readonly stream: Readable };

/**
 * The array a document holds its events in: a log file's `Records`, the `Events` of a LookupEvents answer
 * (`aws cloudtrail lookup-events`), the `logEvents` of a CloudWatch Logs subscription payload, or none (a bare
 * JSON array).
 */
export type Container = 'Records' | 'Events' | 'logEvents' | '';

/** Where in a file a bad event sits: a JSON Lines line, or an element of a document's array. */
export type Position =
  | { readonly kind: 'line'; readonly line: number }
  | {
      readonly kind: 'record';
      readonly index: number;
      readonly container: Container;
      /** The JSON Lines line holding the document, when it is not the first. */
      readonly line?: number;
    };

/**
 * What reading produces. Events come in batches (never one result per record: the hot loop must not
 * allocate more than it has to); a bad line or record is skipped and named; an unreadable file is named once.
 */
export type ReadResult =
  | { readonly kind: 'events'; readonly events: readonly AuditEvent[] }
  | { readonly kind: 'bad-event'; readonly file: string; readonly at: Position | null; readonly message: string }
  /** A record read with fields of the wrong JSON type dropped (see `checkRecord`): each one named. */
  | {
      readonly kind: 'ignored-fields';
      readonly file: string;
      readonly at: Position | null;
      readonly notes: readonly string[];
    }
  | { readonly kind: 'unreadable'; readonly file: string; readonly message: string }
  | { readonly kind: 'read'; readonly file: string; readonly bytes: number };

/** Which events a reader keeps: the others are counted and dropped as soon as they are parsed. */
export type Keep = (e: AuditEvent) => boolean;

/**
 * A batch's worth of events read with a {@link Keep} (`readPicked`): how many were read, and only the kept ones,
 * each with its index among them, so a consumer rebuilds exactly the batches an unfiltered read forms. Dropping the
 * others as they are parsed, not a whole batch later, lets them die young: a batch of 1,000 parsed records held
 * until the batch is full survives the young generation and is copied (promoted) before it dies.
 */
export interface Picked {
  readonly kind: 'picked';
  /** Events read in this batch, kept or not. */
  readonly count: number;
  /** Indexes (within the batch) of the events in `events`, ascending. */
  readonly at: readonly number[];
  readonly events: readonly AuditEvent[];
  /** Earliest and latest finite event time of the batch (±Infinity when none): the scanned range. */
  readonly minMs: number;
  readonly maxMs: number;
}

/** What `readPicked` produces: `readInput`'s results, with picked batches in place of whole ones. */
export type PickedResult = Exclude<ReadResult, { readonly kind: 'events' }> | Picked;

/** Either, inside the readers: whole batches without a `Keep`, picked ones with it. */
type Chunk = ReadResult | Picked;

export const STDIN_NAME = '<stdin>';

/** Files at or below this size are read in one call (and inflated as a stream from memory); larger ones are streamed. */
export const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;

/** CloudTrail and its exports name their files this way (`.log` too, by tools that copy them down). */
const INCLUDED = /\.(?:json|jsonl|ndjson|log)(?:\.gz)?$/i;
/** A name with no extension: read when its first bytes say gzip or JSON. */
const NO_EXTENSION = /^\.?[^.]+$/;

/**
 * Amazon Data Firehose names what it delivers `<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid>`, `.gz`
 * when it compresses (the archive of CloudTrail's EventBridge events): read whatever the stream's name holds.
 */
const FIREHOSE_OBJECT = /-\d+-\d{4}(?:-\d{2}){5}-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?:\.gz)?$/i;
/** What a CloudWatch Logs export to S3 writes per log stream: `000000.gz`, `000001.gz`… */
const LOGS_EXPORT_OBJECT = /^\d{6}\.gz$/;

/** Which files a directory scan reads by name; files named on the command line are read whatever their name. */
export const isLogFile = (name: string): boolean =>
  INCLUDED.test(name) || FIREHOSE_OBJECT.test(name) || LOGS_EXPORT_OBJECT.test(name);

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Why a directory walk passed over a file: counted per reason and summed up on stderr. */
export type SkipReason =
  | 'not a log file name'
  | 'no extension and not JSON or gzip'
  | 'directory already visited (symlink loop)'
  | 'FIFO'
  | 'socket'
  | 'device'
  | 'not a regular file';

export type WalkResult =
  | Input
  | Extract<ReadResult, { kind: 'unreadable' }>
  | { readonly kind: 'skipped'; readonly file: string; readonly reason: SkipReason };

/** What kind of non-regular file this is, in the words of a skip message. */
export const specialKind = (stats: Stats): SkipReason =>
  stats.isFIFO()
    ? 'FIFO'
    : stats.isSocket()
      ? 'socket'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'device'
        : 'not a regular file';

/** The first bytes of a file say gzip (`1f 8b`) or JSON (`{` or `[` after blanks). Read only for names with no extension. */
const sniffsLikeLog = (path: string): boolean => {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, head.length, 0);
    if (isGzip(head.subarray(0, n))) return true;
    const first = head.subarray(0, n).toString('latin1').trimStart().charAt(0);
    return first === '{' || first === '[';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};

/**
 * The files under `path`, depth first in byte order of their names, so every run reads in the same order.
 * Directories are entered once each, by real path: symlinks that point back up the tree cannot loop or fan out.
 * FIFOs, sockets and devices are never opened (a FIFO blocks, /dev/zero never ends): they are skipped, by name
 * when named on the command line and counted per reason in a directory. A directory that cannot be listed is
 * reported and skipped.
 */
export function* walk(path: string, visited: Set<string> = new Set()): Generator<WalkResult> {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (err) {
    yield { kind: 'unreadable', file: path, message: describeIoError(err) };
    return;
  }
  if (!stats.isDirectory()) {
    if (stats.isFile()) yield { kind: 'file', path };
    else yield { kind: 'unreadable', file: path, message: `not a regular file (${specialKind(stats)}); skipped` };
    return;
  }
  yield* walkDirectory(path, visited);
}

function* walkDirectory(path: string, visited: Set<string>): Generator<WalkResult> {
  let names: string[];
  try {
    const real = realpathSync(path);
    if (visited.has(real)) {
      yield { kind: 'skipped', file: path, reason: 'directory already visited (symlink loop)' };
      return;
    }
    visited.add(real);
    names = readdirSync(path).sort(byName);
  } catch (err) {
    yield { kind: 'unreadable', file: path, message: describeIoError(err) };
    return;
  }
  for (const name of names) {
    const child = join(path, name);
    let stats: Stats;
    try {
      stats = statSync(child);
    } catch (err) {
      yield { kind: 'unreadable', file: child, message: describeIoError(err) };
      continue;
    }
    if (stats.isDirectory()) yield* walkDirectory(child, visited);
    else if (!stats.isFile()) yield { kind: 'skipped', file: child, reason: specialKind(stats) };
    else if (isLogFile(name)) yield { kind: 'file', path: child };
    else if (!NO_EXTENSION.test(name)) yield { kind: 'skipped', file: child, reason: 'not a log file name' };
    else if (sniffsLikeLog(child)) yield { kind: 'file', path: child };
    else yield { kind: 'skipped', file: child, reason: 'no extension and not JSON or gzip' };
  }
}

/** Only whole batches: what a read without a `Keep` yields. */
async function* whole(chunks: AsyncIterable<Chunk>): AsyncGenerator<ReadResult> {
  for await (const chunk of chunks) if (chunk.kind !== 'picked') yield chunk;
}

/** Only picked batches: what a read with a `Keep` yields. */
async function* picked(chunks: AsyncIterable<Chunk>): AsyncGenerator<PickedResult> {
  for await (const chunk of chunks) if (chunk.kind !== 'events') yield chunk;
}

/** Read one input: whole-buffer for ordinary files, streamed for large files and stdin. */
export const readInput = (input: Input, batchSize: number): AsyncGenerator<ReadResult> =>
  whole(readChunks(input, batchSize, undefined));

/**
 * `readInput`, keeping only the events `keep` keeps: the same results in the same order, each batch of events as a
 * {@link Picked} (cut at the same events, a batch with nothing kept included, for its count).
 */
export const readPicked = (input: Input, batchSize: number, keep: Keep): AsyncGenerator<PickedResult> =>
  picked(readChunks(input, batchSize, keep));

async function* readChunks(input: Input, batchSize: number, keep: Keep | undefined): AsyncGenerator<Chunk> {
  if (input.kind === 'stdin') {
    const counter = { bytes: 0 };
    yield* bytesEvents(STDIN_NAME, decompress(bytesOf(input.stream, counter)), batchSize, counter, keep);
    return;
  }
  const file = input.path;
  let fd: number;
  let size: number;
  try {
    // Non-blocking, so a FIFO swapped in after the walk cannot hang the open; fstat then refuses it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    yield { kind: 'unreadable', file, message: describeIoError(err) };
    return;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      yield { kind: 'unreadable', file, message: `not a regular file (${specialKind(stats)}); skipped` };
      return;
    }
    size = stats.size;
  } catch (err) {
    closeSync(fd);
    yield { kind: 'unreadable', file, message: describeIoError(err) };
    return;
  }
  if (size > WHOLE_FILE_LIMIT) {
    const counter = { bytes: 0 };
    // 128 KiB of gzip at a time: each read inflates to ~1.5 MB, all of it pushed before backpressure can act, so
    // this bounds the text in flight (1 MiB reads held ~13 MB of it).
    const stream = createReadStream(file, { fd, highWaterMark: 128 * 1024 });
    yield* bytesEvents(file, decompress(bytesOf(stream, counter)), batchSize, counter, keep);
    return;
  }
  let buf: Buffer;
  try {
    buf = readFileSync(fd);
  } catch (err) {
    yield { kind: 'unreadable', file, message: describeIoError(err) };
    return;
  } finally {
    closeSync(fd);
  }
  yield* bytesChunks(file, buf, batchSize, keep);
}

/**
 * One file's bytes already in memory (an S3 object read by the replay function), parsed exactly as `scan` parses
 * a file of that size from disk: same batches, same bad-record and damage reports, named by `file`.
 */
export const readBytes = (file: string, buf: Buffer, batchSize: number): AsyncGenerator<ReadResult> =>
  whole(bytesChunks(file, buf, batchSize, undefined));

async function* bytesChunks(
  file: string,
  buf: Buffer,
  batchSize: number,
  keep: Keep | undefined,
): AsyncGenerator<Chunk> {
  const size = buf.length;
  // Inflated as a stream in small pieces, never whole (see INFLATE_CHUNK); a damaged archive keeps every record
  // before the damage and says where it is.
  const chunks = isGzip(buf) ? decompress(bytesOf([buf], { bytes: 0 })) : [buf];
  yield* bytesEvents(file, chunks, batchSize, { bytes: size }, keep);
}

const isGzip = (buf: Uint8Array): boolean => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;

/**
 * Inflated text comes in pieces of 64 KiB, each parsed (one record group) soon after it is made, so its buffer dies
 * in the young generation. A file inflated whole (~10 MB for a CloudTrail file of 5,000 records), or in 1 MiB
 * pieces, outlives a few scavenges while it is parsed and is promoted: its memory, outside the JavaScript heap, is
 * then freed only by a full collection, which V8 runs when some 64 MB of such memory has piled up, in every thread.
 * Measured on the bench corpus: peak RSS with two workers 292 → 155 MB, one thread 169 → 144 MB, CPU unchanged
 * within the noise (the inflating moves to libuv's threads).
 */
const INFLATE_CHUNK = 64 * 1024;

/**
 * Pieces the inflater may run ahead of the parser. Inflating happens in libuv's threads; with a buffer of one
 * piece the two took turns (the reading thread idled ~20 % of a scan waiting for the next piece), with four the
 * next pieces are ready while one is parsed, and the text in flight stays at 256 KiB.
 */
const INFLATE_AHEAD = 4;

/** Bytes of a stream (stdin may deliver strings), counted as they pass. */
async function* bytesOf(
  stream: AsyncIterable<unknown> | Iterable<unknown>,
  counter: { bytes: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
    if (buf === undefined) throw new Error('input stream produced a non-byte chunk');
    counter.bytes += buf.length;
    yield buf;
  }
}

/** Gunzip a byte stream when it starts with the gzip magic number, whatever the file is called. */
async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  while (head.length < 2) {
    const next = await it.next();
    if (next.done === true) {
      done = true;
      break;
    }
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (done) return;
      for (let next = await it.next(); next.done !== true; next = await it.next()) yield next.value;
    } finally {
      // Stopped early (a damaged archive): close the source, or its file stays open.
      await it.return?.(undefined);
    }
  }
  if (!isGzip(head)) {
    yield* rest();
    return;
  }
  // pipeline() tears both ends down on any error, so a damaged archive closes its file, and a failing
  // source (EACCES, a broken pipe) surfaces as the error of this iteration.
  // Node hands a zlib stream's options to its Transform too, though `ZlibOptions` does not list them.
  const streamOptions: ZlibOptions & TransformOptions = {
    chunkSize: INFLATE_CHUNK,
    readableHighWaterMark: INFLATE_AHEAD * INFLATE_CHUNK,
  };
  const gunzip = createGunzip(streamOptions);
  pipeline(Readable.from(rest(), { objectMode: false }), gunzip, () => {});
  let inflated = 0;
  try {
    for await (const chunk of gunzip) {
      inflated += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (err) {
    throw new GzipDamage(err, gunzip.bytesWritten, inflated);
  }
}

/** Where a gzip stream broke: after how many compressed bytes, and how much text came out before. */
class GzipDamage extends Error {
  constructor(
    readonly reason: unknown,
    readonly compressedBytes: number,
    readonly inflatedBytes: number,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'GzipDamage';
  }
}

async function* decode(source: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of source) {
    const text = decoder.write(chunk);
    if (text.length > 0) yield text;
  }
  const tail = decoder.end();
  if (tail.length > 0) yield tail;
}

interface ParseState {
  readonly file: string;
  readonly batchSize: number;
  /** Events of the batch being read: all of them, or with `keep` only the kept ones. */
  batch: AuditEvent[];
  /** Events read into the batch, kept or not: it is full at `batchSize`. */
  seen: number;
  readonly keep: Keep | undefined;
  /** With `keep`: the batch index of each kept event, and the batch's time range. */
  at: number[];
  minMs: number;
  maxMs: number;
  line: number;
  rest: string;
  /** Notes of the last record pushed, for the caller to place (line or array index) and report. */
  notes: readonly string[] | undefined;
  /** Reports waiting to be yielded after the current line. */
  pending: ReadResult[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The events array of a parsed document, and its name. */
const containerOf = (
  doc: unknown,
): { readonly values: readonly unknown[]; readonly container: Container } | undefined => {
  if (Array.isArray(doc)) return { values: doc, container: '' };
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc.Records)) return { values: doc.Records, container: 'Records' };
  if (Array.isArray(doc.Events)) return { values: doc.Events, container: 'Events' };
  // CloudWatch Logs' subscription payload (CloudTrail's CloudWatch Logs delivery, archived by Firehose): each
  // log event's `message` is a record, read through its `message` by `fromForeignRecord`.
  if (doc.messageType === 'DATA_MESSAGE' && Array.isArray(doc.logEvents)) {
    return { values: doc.logEvents, container: 'logEvents' };
  }
  if (doc.messageType === 'CONTROL_MESSAGE') return { values: [], container: 'logEvents' };
  return undefined;
};

/** A CloudTrail digest file sits next to log files in S3; it holds no events, so it is passed over quietly. */
const isDigest = (doc: Record<string, unknown>): boolean => 'digestStartTime' in doc && 'logFiles' in doc;

type Mode = 'lines' | 'document';

/**
 * Decide from the first bytes how a text is laid out. Anything on one line per value is JSON Lines, read line
 * by line — a CloudTrail log file (`{"Records":[…]}` on a single line) included. A JSON array, or a document
 * whose first line is a lone `{` (pretty-printed), is parsed whole. `undefined`: not enough text yet to tell.
 */
export const layoutOf = (head: string, eof: boolean): Mode | undefined => {
  const start = head.search(/\S/);
  if (start === -1) return eof ? 'lines' : undefined;
  const first = head.charCodeAt(start);
  if (first === 0x5b /* [ */) return 'document';
  if (first !== 0x7b /* { */) return 'lines';
  const after = head.slice(start + 1);
  const next = after.search(/\S/);
  const brace = next === -1 ? after : after.slice(0, next);
  if (brace.includes('\n')) return 'document';
  return next === -1 && !eof ? undefined : 'lines';
};

const BOM = 0xfeff;

/**
 * Read a byte stream. A log file document or a JSON array goes through the record splitter, so memory is bounded
 * by a group of records whatever the file's size; documents on consecutive lines (JSON Lines of log files) are
 * each split and named by their line. Anything else is read as text (JSON Lines of records, EventBridge events or
 * LookupEvents entries, one pretty-printed record or LookupEvents answer), from the line it starts on.
 */
async function* bytesEvents(
  file: string,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  batchSize: number,
  counter: { readonly bytes: number },
  keep: Keep | undefined,
): AsyncGenerator<Chunk> {
  const source = (async function* () {
    yield* chunks;
  })();
  const state = newState(file, batchSize, keep, 0);
  let head: Buffer = Buffer.alloc(0);
  let eof = false;
  /** The line the next document starts on. */
  let line = 1;
  let splitter: RecordSplitter | undefined;
  const pull = async (): Promise<void> => {
    const next = await source.next();
    if (next.done === true) eof = true;
    else head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  };
  try {
    for (;;) {
      // Blank lines between documents.
      for (;;) {
        let i = 0;
        while (i < head.length && isBlankByte(head[i])) {
          if (head[i] === 0x0a) line++;
          i++;
        }
        head = head.subarray(i);
        if (head.length > 0 || eof) break;
        await pull();
      }
      if (head.length === 0) break;
      while (head.length < OPENING_PEEK && !eof) await pull();
      const opening = openingOf(head, eof);
      if (opening.kind !== 'records') {
        yield* flush(state);
        splitter = undefined;
        yield* textEvents(file, decode(prepend(head, source)), batchSize, counter, keep, line - 1);
        return;
      }
      // A pretty-printed document (or the first line's) names records by index alone, as a whole parse did.
      const at = opening.multiline || line === 1 ? undefined : line;
      splitter = createRecordSplitter(opening.container);
      splitter.push(head.subarray(opening.length));
      head = Buffer.alloc(0);
      let index = 0;
      for (;;) {
        const piece = splitter.next();
        if (piece.kind === 'more') {
          const next = await source.next();
          if (next.done === true) {
            eof = true;
            splitter.end();
          } else splitter.push(next.value);
          continue;
        }
        if (piece.kind === 'values') {
          yield* arrayEvents(state, piece.values, opening.container, at, index, piece.bad);
          index += piece.values.length;
          continue;
        }
        if (piece.kind === 'cut') {
          // Named as a whole parse named it (a bad line, or an unreadable pretty-printed document), and the
          // records before the cut are kept.
          yield* flush(state);
          const kept = index === 0 ? '' : `; kept ${index} complete records before it`;
          yield opening.multiline || opening.container === ''
            ? { kind: 'unreadable', file, message: `invalid JSON document: ${END_OF_INPUT}${kept}` }
            : { kind: 'bad-event', file, at: { kind: 'line', line }, message: `invalid JSON: ${END_OF_INPUT}${kept}` };
          return;
        }
        break;
      }
      head = splitter.rest();
      if (opening.multiline) {
        // A pretty-printed document is the whole file: what follows it (other than blanks) is not JSON.
        let i = 0;
        for (;;) {
          while (i < head.length && isBlankByte(head[i])) i++;
          if (i < head.length || eof) break;
          await pull();
        }
        if (i < head.length) {
          yield* flush(state);
          yield { kind: 'unreadable', file, message: 'invalid JSON document: unexpected text after the document' };
          return;
        }
      }
    }
  } catch (err) {
    // Damage part way (a truncated gzip): the records before it were read; say where the damage is.
    yield* flush(state);
    const kept = splitter === undefined ? '' : `; kept ${splitter.count()} complete records before it`;
    yield { kind: 'unreadable', file, message: `${describeIoError(err)}${kept}` };
    return;
  } finally {
    await source.return(undefined);
  }
  yield* flush(state);
  yield { kind: 'read', file, bytes: counter.bytes };
}

/** What `JSON.parse` says of a document cut short. */
const END_OF_INPUT = 'Unexpected end of JSON input';

const isBlankByte = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** `head`, then the rest of `source`. */
async function* prepend(head: Buffer, source: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for (let next = await source.next(); next.done !== true; next = await source.next()) yield next.value;
}

async function* textEvents(
  file: string,
  chunks: AsyncIterable<string> | Iterable<string>,
  batchSize: number,
  counter: { readonly bytes: number },
  keep: Keep | undefined,
  /** Lines already read before `chunks` (by `bytesEvents`). */
  linesBefore = 0,
): AsyncGenerator<Chunk> {
  const state = newState(file, batchSize, keep, linesBefore);
  let mode: Mode | undefined;
  let head = '';
  const parts: string[] = [];
  try {
    for await (const chunk of chunks) {
      if (mode === 'lines') {
        yield* linesOf(state, chunk);
        continue;
      }
      if (mode === 'document') {
        parts.push(chunk);
        continue;
      }
      head = head.length === 0 ? chunk : head + chunk;
      if (head.charCodeAt(0) === BOM) head = head.slice(1);
      mode = layoutOf(head, false);
      if (mode === 'lines') yield* linesOf(state, head);
      else if (mode === 'document') parts.push(head);
      if (mode !== undefined) head = '';
    }
    if (mode === undefined) {
      mode = layoutOf(head, true);
      if (mode === 'lines') yield* linesOf(state, head);
      else parts.push(head);
    }
  } catch (err) {
    // Damage part way: the complete lines are in the batch; complete records of a cut-off log file document
    // (one line, or pretty-printed) are salvaged from the text that came before the damage.
    const cut = mode === 'lines' ? state.rest : mode === 'document' ? parts.join('') : head;
    state.rest = '';
    parts.length = 0;
    if (mode === 'lines') state.line++;
    const salvaged = completeRecords(cut);
    if (salvaged !== undefined) {
      yield* arrayEvents(
        state,
        salvaged.records,
        salvaged.container,
        mode === 'lines' && state.line > 1 ? state.line : undefined,
      );
    }
    yield* flush(state);
    const kept = salvaged === undefined ? '' : `; kept ${salvaged.records.length} complete records before it`;
    yield { kind: 'unreadable', file, message: `${describeIoError(err)}${kept}` };
    return;
  }
  if (mode === 'lines') {
    yield* lastLine(state);
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(parts.length === 1 ? (parts[0] ?? '') : parts.join(''));
    } catch (err) {
      yield { kind: 'unreadable', file, message: `invalid JSON document: ${describeJsonError(err)}` };
      return;
    }
    parts.length = 0;
    yield* documentEvents(state, doc);
  }
  yield* flush(state);
  yield { kind: 'read', file, bytes: counter.bytes };
}

const newState = (file: string, batchSize: number, keep: Keep | undefined, line: number): ParseState => ({
  file,
  batchSize,
  batch: [],
  seen: 0,
  keep,
  at: [],
  minMs: Number.POSITIVE_INFINITY,
  maxMs: Number.NEGATIVE_INFINITY,
  line,
  rest: '',
  notes: undefined,
  pending: [],
});

/** The batch read so far, as a result; the state starts the next one. */
const takeBatch = (state: ParseState): Chunk => {
  const events = state.batch;
  const count = state.seen;
  state.batch = [];
  state.seen = 0;
  if (state.keep === undefined) return { kind: 'events', events };
  const { at, minMs, maxMs } = state;
  state.at = [];
  state.minMs = Number.POSITIVE_INFINITY;
  state.maxMs = Number.NEGATIVE_INFINITY;
  return { kind: 'picked', count, at, events, minMs, maxMs };
};

function* flush(state: ParseState): Generator<Chunk> {
  if (state.seen === 0) return;
  yield takeBatch(state);
}

/** Add a value to the batch as an event; returns why it is not one, if it is not. */
const push = (state: ParseState, value: unknown): string | undefined => {
  let parsed = toAuditEvent(value);
  if (!parsed.ok && isObject(value)) {
    if (isDigest(value)) return undefined;
    parsed = fromForeignRecord(value) ?? parsed;
  }
  if (!parsed.ok) return parsed.error;
  const event = parsed.event;
  const keep = state.keep;
  if (keep === undefined) state.batch.push(event);
  else {
    const t = event.timeMs;
    if (t < state.minMs) state.minMs = t;
    if (t > state.maxMs) state.maxMs = t;
    if (keep(event)) {
      state.at.push(state.seen);
      state.batch.push(event);
    }
  }
  state.seen++;
  if (event.notes !== undefined) state.notes = event.notes;
  return undefined;
};

/** Queue the notes of the record just pushed, at its position. */
const placeNotes = (state: ParseState, at: Position | null): void => {
  if (state.notes === undefined) return;
  state.pending.push({ kind: 'ignored-fields', file: state.file, at, notes: state.notes });
  state.notes = undefined;
};

function* drain(state: ParseState): Generator<Chunk> {
  if (state.pending.length === 0) return;
  const pending = state.pending;
  state.pending = [];
  yield* pending;
}

/** A line holding a whole document (a log file, a LookupEvents answer): its events are read in place of the line. */
interface RecordsLine {
  readonly kind: 'records';
  readonly records: readonly unknown[];
  readonly container: Container;
  /** Values that were not JSON, by their index in `records`. */
  readonly bad?: ReadonlyMap<number, string>;
}

/**
 * Objects one after another may each be a document of events (Firehose archiving CloudWatch Logs' subscription
 * payloads, each a `logEvents` list): their events take their place, in order; a bad object keeps its place.
 */
const withContainersOpened = (objects: {
  readonly values: readonly unknown[];
  readonly bad: ReadonlyMap<number, string> | undefined;
}): { readonly records: readonly unknown[]; readonly bad: ReadonlyMap<number, string> | undefined } => {
  const records: unknown[] = [];
  let bad: Map<number, string> | undefined;
  objects.values.forEach((value, i) => {
    const problem = objects.bad?.get(i);
    if (problem !== undefined) {
      bad ??= new Map();
      bad.set(records.length, problem);
      records.push(undefined);
      return;
    }
    const held = containerOf(value);
    if (held === undefined) records.push(value);
    // One by one: a spread of a long array would exceed the call stack's argument limit.
    else for (const v of held.values) records.push(v);
  });
  return { records, bad };
};

/**
 * A line of a CloudWatch Logs export to S3 (`CreateExportTask`, the `000000.gz` objects): the event's timestamp, a
 * space, then the message as it was logged (CloudTrail's CloudWatch Logs delivery logs each record as JSON).
 */
const EXPORTED_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z (?=\{)/;

/**
 * JSON objects written one after another with nothing between them (`{…}{…}{…}`): how Amazon Data Firehose
 * delivers EventBridge events (and CloudWatch Logs) to S3 when no newline delimiter is configured, the usual way
 * to archive CloudTrail's EventBridge events. Each object is found by the record splitter's scanner (strings,
 * escapes, nesting) and parsed alone; undefined when the line is not two or more such objects.
 */
export const concatenatedObjects = (
  line: string,
): { readonly values: readonly unknown[]; readonly bad: ReadonlyMap<number, string> | undefined } | undefined => {
  if (!/\}\s*\{/.test(line)) return undefined;
  const buf = Buffer.from(line);
  const values: unknown[] = [];
  let bad: Map<number, string> | undefined;
  let pos = 0;
  for (;;) {
    while (pos < buf.length && isBlankByte(buf[pos])) pos++;
    if (pos >= buf.length) break;
    if (buf[pos] !== 0x7b /* { */) return undefined;
    const end = valueEnd(buf, pos);
    if (end === -1) return undefined;
    try {
      values.push(JSON.parse(buf.toString('utf8', pos, end)));
    } catch (err) {
      bad ??= new Map();
      bad.set(values.length, `invalid JSON: ${describeJsonError(err)}`);
      values.push(undefined);
    }
    pos = end;
  }
  return values.length > 1 ? { values, bad } : undefined;
};

/**
 * Parse one JSON line into the batch; returns a result only when there is something to report. `invalid` names
 * what a line that is not JSON is (the JSON after a CloudWatch Logs export's timestamp says so).
 */
const acceptLine = (state: ParseState, line: string, invalid = 'invalid JSON'): Chunk | RecordsLine | undefined => {
  // Fast path: a JSON Lines record starts with `{`; only other lines need checking for blankness.
  if (line.charCodeAt(0) !== 0x7b && line.trim().length === 0) return undefined;
  let value: unknown;
  let problem: string | undefined;
  try {
    value = JSON.parse(line);
    problem = push(state, value);
  } catch (err) {
    const objects = concatenatedObjects(line);
    if (objects !== undefined) return { kind: 'records', container: '', ...withContainersOpened(objects) };
    const exported = EXPORTED_LINE.exec(line);
    if (exported !== null) {
      return acceptLine(state, line.slice(exported[0].length), "invalid JSON after the export's timestamp");
    }
    problem = `${invalid}: ${describeJsonError(err)}`;
  }
  placeNotes(state, { kind: 'line', line: state.line });
  if (problem !== undefined) {
    // Checked only once the value failed as an event, so ordinary lines pay nothing for it.
    const held = isObject(value) ? containerOf(value) : undefined;
    if (held !== undefined) return { kind: 'records', records: held.values, container: held.container };
    return { kind: 'bad-event', file: state.file, at: { kind: 'line', line: state.line }, message: problem };
  }
  return state.seen < state.batchSize ? undefined : takeBatch(state);
};

/** Yield what a line produced: nothing, a result, or the records of a whole log file on the line. */
function* lineResults(state: ParseState, result: Chunk | RecordsLine | undefined): Generator<Chunk> {
  yield* drain(state);
  if (result === undefined) return;
  if (result.kind !== 'records') {
    yield result;
    return;
  }
  yield* arrayEvents(state, result.records, result.container, state.line > 1 ? state.line : undefined, 0, result.bad);
}

function* linesOf(state: ParseState, text: string): Generator<Chunk> {
  let newline = text.indexOf('\n');
  if (newline === -1) {
    // A line longer than a chunk: only new text is ever searched, so a long line is not rescanned per chunk.
    state.rest += text;
    return;
  }
  let start = 0;
  if (state.rest.length > 0) {
    const line = state.rest + text.slice(0, newline);
    state.rest = '';
    state.line++;
    const result = acceptLine(state, line);
    start = newline + 1;
    newline = text.indexOf('\n', start);
    if (result !== undefined || state.pending.length > 0) yield* lineResults(state, result);
  }
  for (; newline !== -1; newline = text.indexOf('\n', start)) {
    state.line++;
    const result = acceptLine(state, text.slice(start, newline));
    start = newline + 1;
    if (result !== undefined || state.pending.length > 0) yield* lineResults(state, result);
  }
  state.rest = start === 0 ? text : text.slice(start);
}

function* lastLine(state: ParseState): Generator<Chunk> {
  if (state.rest.length === 0) return;
  state.line++;
  const result = acceptLine(state, state.rest);
  state.rest = '';
  if (result !== undefined || state.pending.length > 0) yield* lineResults(state, result);
}

function* documentEvents(state: ParseState, doc: unknown): Generator<Chunk> {
  const held = containerOf(doc);
  if (held !== undefined) {
    yield* arrayEvents(state, held.values, held.container);
  } else {
    const problem = push(state, doc);
    placeNotes(state, null);
    yield* drain(state);
    if (problem !== undefined) yield { kind: 'bad-event', file: state.file, at: null, message: problem };
  }
}

function* arrayEvents(
  state: ParseState,
  values: readonly unknown[],
  container: Container,
  line?: number,
  /** The index in the array of `values[0]` (the record splitter hands an array over in pieces). */
  first = 0,
  /** Elements that were not JSON, by their index in `values`. */
  bad?: ReadonlyMap<number, string>,
): Generator<Chunk> {
  for (let k = 0; k < values.length; k++) {
    const index = first + k;
    const invalid = bad?.get(k);
    const problem = invalid ?? push(state, values[k]);
    if (state.notes !== undefined) {
      placeNotes(
        state,
        line === undefined ? { kind: 'record', index, container } : { kind: 'record', index, container, line },
      );
      yield* drain(state);
    }
    if (problem !== undefined) {
      const at: Position =
        line === undefined ? { kind: 'record', index, container } : { kind: 'record', index, container, line };
      yield { kind: 'bad-event', file: state.file, at, message: problem };
    } else if (state.seen >= state.batchSize) {
      yield* flush(state);
    }
  }
}

const describeJsonError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The complete elements at the start of a cut-off `{"Records":[…` document or JSON array: each `{…}` whose
 * closing brace arrived, parsed. `undefined` when the text is neither.
 */
export const completeRecords = (
  text: string,
): { readonly records: readonly unknown[]; readonly container: 'Records' | '' } | undefined => {
  const opening = /^\uFEFF?\s*(?:(\{)\s*"Records"\s*:\s*)?\[/.exec(text);
  if (opening === null) return undefined;
  const records: unknown[] = [];
  let i = opening[0].length;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c /* , */ || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    if (c !== 0x7b /* { */) break;
    const end = objectEnd(text, i);
    if (end === -1) break;
    try {
      records.push(JSON.parse(text.slice(i, end)));
    } catch {
      break;
    }
    i = end;
  }
  return { records, container: opening[1] === undefined ? '' : 'Records' };
};

/** The index just past the `}` closing the object that opens at `start`, or -1 when the text ends first. */
const objectEnd = (text: string, start: number): number => {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
};

/** One readable reason for a file that could not be read: gzip damage, a missing file, permissions. */
export const describeIoError = (err: unknown): string => {
  if (err instanceof GzipDamage) {
    return `corrupt or truncated gzip at compressed byte ${err.compressedBytes}, after ${err.inflatedBytes} bytes of text (${err.message})`;
  }
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || err.message === 'unexpected end of file') {
    return `corrupt or truncated gzip (${err.message})`;
  }
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ERR_STRING_TOO_LONG') return 'file too large to read as one JSON document';
  return err.message;
};
