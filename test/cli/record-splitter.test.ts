import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Piece } from '../../cli/record-splitter.ts';
import { createRecordSplitter, openingOf } from '../../cli/record-splitter.ts';
import type { ReadResult } from '../../cli/sources.ts';
import { readInput } from '../../cli/sources.ts';
import { benign, gz, logFile, tempTree } from './helpers.ts';

/** Feed `bytes` to a splitter in chunks of the given sizes (cycled); what it read, and how it ended. */
const split = (bytes: Buffer, sizes: readonly number[]) => {
  const opening = openingOf(bytes, true);
  if (opening.kind !== 'records') throw new Error(`not a records document: ${opening.kind}`);
  const splitter = createRecordSplitter(opening.container);
  const values: unknown[] = [];
  const bad: number[] = [];
  let at = opening.length;
  let k = 0;
  let end: Piece['kind'] = 'more';
  for (;;) {
    const piece = splitter.next();
    if (piece.kind === 'values') {
      piece.values.forEach((v, i) => {
        if (piece.bad?.has(i)) bad.push(values.length);
        values.push(v);
      });
    } else if (piece.kind === 'more') {
      if (at >= bytes.length) splitter.end();
      else {
        const size = sizes.length === 0 ? bytes.length : Math.max(1, sizes[k++ % sizes.length] ?? 1);
        splitter.push(bytes.subarray(at, at + size));
        at += size;
      }
    } else {
      end = piece.kind;
      break;
    }
  }
  return { values, bad, end, count: splitter.count(), rest: splitter.rest().toString('utf8') };
};

/** Text that tries to fool a splitter: brackets, braces, quotes, backslashes, the cut hint, non-ASCII. */
const tricky = fc.oneof(
  fc.string(),
  fc.constantFrom('}', ']', '{', '[', '"', '\\', '\\"', '},{"eventVersion"', '\\\\', 'ünïcödé ✓', '😀', '\n'),
  fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'é', '😀', 'a') }),
);

/** A record shaped like CloudTrail's (eventVersion first), with nested objects that repeat the key. */
const recordArb = fc.record({
  eventVersion: fc.constantFrom('1.08', '1.11'),
  eventID: fc.uuid(),
  userAgent: tricky,
  requestParameters: fc.oneof(
    fc.constant(null),
    fc.dictionary(tricky, tricky, { maxKeys: 3 }),
    fc.record({ items: fc.array(fc.record({ eventVersion: tricky, n: fc.integer() }), { maxLength: 3 }) }),
  ),
  readOnly: fc.boolean(),
});

const layout = fc.constantFrom<[string | number | undefined, boolean]>(
  [undefined, true],
  [undefined, false],
  [2, true],
  ['\t', false],
);

describe('record splitter', () => {
  it('reads exactly the records, for any records and any chunk sizes', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 6 }),
        layout,
        (records, sizes, [indent, logFileShape]) => {
          const doc = logFileShape ? { Records: records } : records;
          const { values, bad, end, count } = split(Buffer.from(JSON.stringify(doc, null, indent)), sizes);
          expect(values).toEqual(records);
          expect(bad).toEqual([]);
          expect(count).toBe(records.length);
          expect(end).toBe('done');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads any JSON values in an array, scalars and nested arrays included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue()),
        fc.array(fc.integer({ min: 1, max: 31 }), { maxLength: 4 }),
        (arr, sizes) => {
          const text = JSON.stringify(arr);
          const { values, end } = split(Buffer.from(text), sizes);
          expect(values).toEqual(JSON.parse(text));
          expect(end).toBe('done');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every record that ends before a cut, and says the document was cut', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 10 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 61 }), { maxLength: 4 }),
        (records, where, sizes) => {
          const head = '{"Records":[';
          const ends: number[] = [];
          let text = head;
          records.forEach((r, i) => {
            text += `${i === 0 ? '' : ','}${JSON.stringify(r)}`;
            ends.push(Buffer.byteLength(text));
          });
          const full = Buffer.from(`${text}]}`);
          const cut = head.length + Math.floor(where * (full.length - 2 - head.length));
          const { values, end, count } = split(full.subarray(0, cut), sizes);
          const complete = ends.filter((e) => e <= cut).length;
          expect(values).toEqual(records.slice(0, complete));
          expect(count).toBe(complete);
          expect(end).toBe('cut');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names a record that is not JSON by its index and reads the records around it', () => {
    const good = (id: string) => JSON.stringify({ eventVersion: '1.11', eventID: id });
    const text = `{"Records":[${good('a')},{"eventVersion":"1.11","eventID":tru},${good('c')}]}\n{"Records":[]}`;
    for (const sizes of [[], [1], [7]]) {
      const { values, bad, end, rest } = split(Buffer.from(text), sizes);
      expect(values).toEqual([
        { eventVersion: '1.11', eventID: 'a' },
        undefined,
        { eventVersion: '1.11', eventID: 'c' },
      ]);
      expect(bad).toEqual([1]);
      expect(end).toBe('done');
      expect(rest).toBe('\n{"Records":[]}');
    }
  });

  it('tells a log file or an array from other JSON by its first bytes', () => {
    expect(openingOf(Buffer.from('\ufeff {\n "Records" : [ {'), false)).toEqual({
      kind: 'records',
      container: 'Records',
      length: 20,
      multiline: true,
    });
    expect(openingOf(Buffer.from('[1]'), true)).toMatchObject({ kind: 'records', container: '', multiline: false });
    expect(openingOf(Buffer.from('{"Rec'), false)).toEqual({ kind: 'unknown' });
    expect(openingOf(Buffer.from('{"Rec'), true)).toEqual({ kind: 'other' });
    expect(openingOf(Buffer.from('{"eventVersion":"1.11"}'), false)).toEqual({ kind: 'other' });
  });
});

const readAll = async (path: string): Promise<ReadResult[]> => {
  const results: ReadResult[] = [];
  for await (const r of readInput({ kind: 'file', path }, 1000)) results.push(r);
  return results;
};

describe('readInput over the record splitter', () => {
  it('names a record of a log file that is not JSON, and keeps the records before and after it', async () => {
    const text = logFile([benign('ev-1'), benign('ev-2')]).replace('"ev-2"', 'ev-2');
    const dir = tempTree({ 'l.json.gz': gz(`${text}\n${logFile([benign('ev-3')])}\n`) });
    const results = await readAll(join(dir, 'l.json.gz'));
    expect(results.flatMap((r) => (r.kind === 'events' ? r.events.map((e) => e.id) : []))).toEqual(['ev-1', 'ev-3']);
    expect(results.filter((r) => r.kind === 'bad-event')).toEqual([
      {
        kind: 'bad-event',
        file: join(dir, 'l.json.gz'),
        at: { kind: 'record', index: 1, container: 'Records' },
        message: expect.stringMatching(/^invalid JSON: /),
      },
    ]);
  });

  it('reads a log file of 100 MB of text in a process whose heap is capped at 48 MB', async () => {
    const dir = tempTree();
    const path = join(dir, 'large.json.gz');
    const count = 160_000;
    const gzip = createGzip({ level: 1 });
    const done = new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      out.on('finish', resolve).on('error', reject);
      gzip.pipe(out);
    });
    const pad = 'x'.repeat(400);
    let text = 0;
    for (let i = 0; i < count; i += 1000) {
      const part = Array.from({ length: 1000 }, (_, k) =>
        JSON.stringify(benign(`ev-${i + k}`, { userAgent: `agent ${pad}` })),
      ).join(',');
      const chunk = `${i === 0 ? '{"Records":[' : ','}${part}${i + 1000 >= count ? ']}' : ''}`;
      text += chunk.length;
      if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once('drain', resolve));
    }
    gzip.end();
    await done;
    expect(text).toBeGreaterThan(100 * 1024 * 1024);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--max-old-space-size=48',
        '--import',
        'tsx',
        join(import.meta.dirname, '..', 'support', 'count-events.ts'),
        path,
      ],
      { maxBuffer: 1024 * 1024 },
    );
    expect(JSON.parse(stdout)).toEqual({ events: count, first: 'ev-0', last: `ev-${count - 1}`, notices: [] });
  }, 300_000);
});
