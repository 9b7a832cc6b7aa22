import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Input, Keep, PickedResult, ReadResult } from '../../cli/sources.ts';
import { isLogFile, layoutOf, readInput, readPicked, WHOLE_FILE_LIMIT, walk } from '../../cli/sources.ts';
import type { AuditEvent } from '../../rules/core/types.ts';
import { benign, envelope, gz, jsonLines, logFile, stopLogging, tempTree } from './helpers.ts';

const readAll = async (input: Input, batchSize = 1000) => {
  const results: ReadResult[] = [];
  for await (const r of readInput(input, batchSize)) results.push(r);
  const ids = results.flatMap((r) => (r.kind === 'events' ? r.events.map((e) => e.id) : []));
  const problems = results.flatMap((r) =>
    r.kind === 'bad-event' || r.kind === 'unreadable'
      ? [{ kind: r.kind, ...('at' in r ? { at: r.at } : {}), message: r.message }]
      : [],
  );
  const batches = results.flatMap((r) => (r.kind === 'events' ? [r.events.length] : []));
  return { results, ids, problems, batches };
};

const file = (files: Record<string, string | Buffer>, name: string): Input => ({
  kind: 'file',
  path: join(tempTree(files), name),
});

describe('layoutOf', () => {
  it.each([
    ['{"Records":[{"eventID":"1"}]}', true, 'lines'],
    ['  \n{ "Records" : [', false, 'lines'],
    ['[{"eventID":"1"}]', true, 'document'],
    ['\n [', false, 'document'],
    ['{\n  "eventID": "1"\n}', true, 'document'],
    ['{  \r\n', false, 'document'],
    ['{"eventID":"1"}\n{"eventID":"2"}\n', false, 'lines'],
    ['{"eventID":"1"', false, 'lines'],
    ['{', false, undefined],
    ['{  ', true, 'lines'],
    ['   ', false, undefined],
    ['', true, 'lines'],
    ['oops', false, 'lines'],
  ] as const)('%j (end of input: %s) → %s', (head, eof, expected) => {
    expect(layoutOf(head, eof)).toBe(expected);
  });
});

describe('walk', () => {
  it('lists log files depth first in byte order, skipping other files', () => {
    const dir = tempTree({
      'b.json': '',
      'a/z.jsonl.gz': '',
      'a/y/x.ndjson': '',
      'A.JSON.GZ': '',
      'c.txt': '',
      'd.json.bak': '',
    });
    const found = [...walk(dir)].map((i) => (i.kind === 'file' ? i.path.slice(dir.length + 1) : i.kind));
    expect(found).toEqual(['A.JSON.GZ', 'a/y/x.ndjson', 'a/z.jsonl.gz', 'b.json', 'skipped', 'skipped']);
  });

  it('reads a file named directly whatever its name', () => {
    const dir = tempTree({ 'trail.log': '' });
    expect([...walk(join(dir, 'trail.log'))]).toEqual([{ kind: 'file', path: join(dir, 'trail.log') }]);
    expect(isLogFile('x.json.gz')).toBe(true);
    expect(isLogFile('x.gz')).toBe(false);
  });

  it('reads what Amazon Data Firehose delivers by its object names, compressed or not', () => {
    const name = 'cloudtrail-archive-1-2026-11-02-10-15-42-1f0e2d3c-4b5a-4697-8877-6655aa44bb33';
    expect(isLogFile(name)).toBe(true);
    expect(isLogFile(`${name}.gz`)).toBe(true);
    expect(isLogFile('my.stream-12-2026-11-02-10-15-42-1F0E2D3C-4B5A-4697-8877-6655AA44BB33.gz')).toBe(true);
    expect(isLogFile('backup-2026-11-02.gz')).toBe(false);
    expect(isLogFile(`${name}.gz.bak`)).toBe(false);
  });
});

describe('readInput', () => {
  it('splits a log file into batches of the batch size', async () => {
    const records = Array.from({ length: 2500 }, (_, i) => benign(`ev-${i}`));
    const { batches, ids } = await readAll(file({ 'l.json.gz': gz(logFile(records)) }, 'l.json.gz'));
    expect(batches).toEqual([1000, 1000, 500]);
    expect(ids[2499]).toBe('ev-2499');
  });

  it('reads JSON Lines of whole log files, naming the line and record of a bad one', async () => {
    const text = `${logFile([benign('ev-1')])}\n${logFile([benign('ev-2'), { eventID: 'x' }])}\n`;
    const { ids, problems } = await readAll(file({ 'many.jsonl': text }, 'many.jsonl'));
    expect(ids).toEqual(['ev-1', 'ev-2']);
    expect(problems).toEqual([
      {
        kind: 'bad-event',
        at: { kind: 'record', index: 1, container: 'Records', line: 2 },
        message: 'record has no eventTime',
      },
    ]);
  });

  it('reads a pretty-printed log file, and names one that is cut short once', async () => {
    const pretty = JSON.stringify({ Records: [benign('ev-1')] }, null, 2);
    const { ids } = await readAll(file({ 'p.json': pretty }, 'p.json'));
    expect(ids).toEqual(['ev-1']);
    const cut = await readAll(file({ 'cut.json': pretty.slice(0, -20) }, 'cut.json'));
    expect(cut.problems).toEqual([{ kind: 'unreadable', message: expect.stringMatching(/^invalid JSON document: /) }]);
  });

  it('reads a pretty-printed record with a byte-order mark, and a JSON array of records', async () => {
    const pretty = await readAll(
      file({ 'r.json': `\ufeff${JSON.stringify(stopLogging('ev-p'), null, 2)}\n` }, 'r.json'),
    );
    expect(pretty.ids).toEqual(['ev-p']);
    const array = await readAll(
      file({ 'a.json': JSON.stringify([benign('ev-1'), { eventID: 'x' }, benign('ev-3')], null, 1) }, 'a.json'),
    );
    expect(array.ids).toEqual(['ev-1', 'ev-3']);
    expect(array.problems).toEqual([
      { kind: 'bad-event', at: { kind: 'record', index: 1, container: '' }, message: 'record has no eventTime' },
    ]);
  });

  it('reads the AWS CLI lookup-events answer (pretty, on one line, or its entries as JSON Lines)', async () => {
    // LookupEvents hands each record back as a JSON string in CloudTrailEvent, beside copied fields.
    const entry = (r: Record<string, unknown>) => ({
      EventId: r.eventID,
      EventName: r.eventName,
      ReadOnly: 'false',
      EventTime: '2026-11-02T09:52:18+00:00',
      Resources: [],
      CloudTrailEvent: JSON.stringify(r),
    });
    const answer = { Events: [entry(stopLogging('ev-1')), entry(benign('ev-2'))], NextToken: 'tok' };
    const pretty = await readAll(file({ 'l.json': JSON.stringify(answer, null, 4) }, 'l.json'));
    expect(pretty.ids).toEqual(['ev-1', 'ev-2']);
    expect(pretty.problems).toEqual([]);
    const line = await readAll(file({ 'l.json': `${JSON.stringify(answer)}\n` }, 'l.json'));
    expect(line.ids).toEqual(['ev-1', 'ev-2']);
    const lines = jsonLines([
      entry(benign('ev-3')),
      { ...entry(benign('ev-4')), CloudTrailEvent: '{"eventID":' },
      { ...entry(benign('ev-5')), CloudTrailEvent: JSON.stringify({ eventID: 'ev-5' }) },
    ]);
    const entries = await readAll(file({ 'l.jsonl': lines }, 'l.jsonl'));
    expect(entries.ids).toEqual(['ev-3']);
    expect(entries.problems).toEqual([
      {
        kind: 'bad-event',
        at: { kind: 'line', line: 2 },
        message: expect.stringMatching(/^CloudTrailEvent is not JSON: /),
      },
      { kind: 'bad-event', at: { kind: 'line', line: 3 }, message: 'record has no eventTime' },
    ]);
    const bad = await readAll(file({ 'b.json': JSON.stringify({ Events: [{ EventId: 'x' }] }, null, 2) }, 'b.json'));
    expect(bad.problems).toEqual([
      { kind: 'bad-event', at: { kind: 'record', index: 0, container: 'Events' }, message: 'record has no eventTime' },
    ]);
  });

  it('reads objects written one after another (Firehose without a delimiter), naming a bad one', async () => {
    const objects = [envelope(stopLogging('ev-1')), envelope(benign('ev-2')), stopLogging('ev-3')];
    const glued = objects.map((o) => JSON.stringify(o)).join('');
    const firehose = await readAll(file({ 'f.json': glued }, 'f.json'));
    expect(firehose.ids).toEqual(['ev-1', 'ev-2', 'ev-3']);
    expect(firehose.problems).toEqual([]);
    // Gzipped, by its Firehose name, and a newline between deliveries.
    const name = 'ct-1-2026-11-02-10-15-42-1f0e2d3c-4b5a-4697-8877-6655aa44bb33.gz';
    const lines = await readAll(file({ [name]: gz(`${glued}\n${glued.replace(/ev-/g, 'ev-b')}`) }, name));
    expect(lines.ids).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-b1', 'ev-b2', 'ev-b3']);
    const damaged = `${JSON.stringify(stopLogging('ev-4'))}{"eventID": nope}${JSON.stringify(benign('ev-5'))}`;
    const bad = await readAll(file({ 'd.json': damaged }, 'd.json'));
    expect(bad.ids).toEqual(['ev-4', 'ev-5']);
    expect(bad.problems).toEqual([
      {
        kind: 'bad-event',
        at: { kind: 'record', index: 1, container: '' },
        message: expect.stringMatching(/^invalid JSON: /),
      },
    ]);
    // One object and rubbish after it is not a run of objects: the line is named as before.
    const rubbish = await readAll(file({ 'r.json': `${JSON.stringify(benign('ev-6'))} trailing` }, 'r.json'));
    expect(rubbish.ids).toEqual([]);
    expect(rubbish.problems).toEqual([
      { kind: 'bad-event', at: { kind: 'line', line: 1 }, message: expect.stringMatching(/^invalid JSON: /) },
    ]);
  });

  it("reads CloudTrail's CloudWatch Logs delivery: subscription payloads and exports to S3", async () => {
    const logEvent = (r: Record<string, unknown>, i: number) => ({
      id: `3771${i}`,
      timestamp: 1762077138000 + i,
      message: JSON.stringify(r),
    });
    const payload = (records: Record<string, unknown>[]) => ({
      messageType: 'DATA_MESSAGE',
      owner: '111122223333',
      logGroup: 'aws-cloudtrail-logs-111122223333',
      logStream: '111122223333_CloudTrail_eu-west-1',
      subscriptionFilters: ['to-archive'],
      logEvents: records.map(logEvent),
    });
    // What Firehose archives from a subscription: payloads one after another, the first a control message.
    const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logEvents: [] };
    const glued = [control, payload([stopLogging('ev-1'), benign('ev-2')]), payload([benign('ev-3')])]
      .map((p) => JSON.stringify(p))
      .join('');
    const archived = await readAll(file({ 'cwl.gz': gz(glued) }, 'cwl.gz'));
    expect(archived.ids).toEqual(['ev-1', 'ev-2', 'ev-3']);
    expect(archived.problems).toEqual([]);
    // An export task's 000000.gz: each line the event's timestamp, a space, the message.
    const lines = [
      `2026-11-02T09:52:18.000Z ${JSON.stringify(stopLogging('ev-4'))}`,
      `2026-11-02T09:52:19.000Z ${JSON.stringify(benign('ev-5'))}`,
      '2026-11-02T09:52:20.000Z {"eventID": ',
    ].join('\n');
    const exported = await readAll(file({ 'task/stream/000000.gz': gz(lines) }, 'task/stream/000000.gz'));
    expect(exported.ids).toEqual(['ev-4', 'ev-5']);
    expect(exported.problems).toEqual([
      {
        kind: 'bad-event',
        at: { kind: 'line', line: 3 },
        message: expect.stringMatching(/^invalid JSON after the export's timestamp: /),
      },
    ]);
    expect(isLogFile('000000.gz')).toBe(true);
    expect(isLogFile('0000001.gz')).toBe(false);
  });

  it('reads JSON Lines with CRLF endings, blank lines and no final newline', async () => {
    const text = [JSON.stringify(benign('ev-1')), '', '   ', JSON.stringify(envelope(benign('ev-2')))].join('\r\n');
    const { ids, problems } = await readAll(file({ 'e.jsonl': text }, 'e.jsonl'));
    expect(ids).toEqual(['ev-1', 'ev-2']);
    expect(problems).toEqual([]);
  });

  it('names the line of a record that fails validation', async () => {
    const text = jsonLines([benign('ev-1'), { ...benign('ev-2'), eventTime: 'yesterday' }, 42]);
    const { problems } = await readAll(file({ 'e.jsonl': text }, 'e.jsonl'));
    expect(problems).toEqual([
      { kind: 'bad-event', at: { kind: 'line', line: 2 }, message: 'record eventTime is not a timestamp: "yesterday"' },
      { kind: 'bad-event', at: { kind: 'line', line: 3 }, message: 'event is not a JSON object' },
    ]);
  });

  it('passes over CloudTrail digest files and empty files quietly', async () => {
    const digest = JSON.stringify({
      awsAccountId: '111122223333',
      digestStartTime: '2024-05-01T00:00:00Z',
      logFiles: [],
    });
    for (const [name, content] of [
      ['d.json.gz', gz(digest)],
      ['e.json', ''],
    ] as const) {
      const { ids, problems, results } = await readAll(file({ [name]: content }, name));
      expect([ids, problems]).toEqual([[], []]);
      expect(results.at(-1)?.kind).toBe('read');
    }
  });

  it('streams a file larger than the whole-file limit, keeping line numbers', async () => {
    const line = JSON.stringify(benign('ev-x'));
    const count = Math.ceil((WHOLE_FILE_LIMIT + 1) / (line.length + 1));
    const lines = Array.from({ length: count }, (_, i) => JSON.stringify(benign(`ev-${i}`)));
    lines[count - 2] = '{oops';
    const { ids, problems, results } = await readAll(file({ 'big.jsonl': `${lines.join('\n')}\n` }, 'big.jsonl'));
    expect(ids).toHaveLength(count - 1);
    expect(problems).toEqual([
      { kind: 'bad-event', at: { kind: 'line', line: count - 1 }, message: expect.stringMatching(/^invalid JSON/) },
    ]);
    expect(results.at(-1)).toMatchObject({ kind: 'read', bytes: expect.any(Number) });
  });

  it('streams a small gzip that inflates to far more, even a line longer than many chunks', async () => {
    // One very long line (JSON allows the spaces), longer than any stream chunk.
    const padding = ' '.repeat(32 * 1024 * 1024 + 1);
    const content = gzipSync(`${JSON.stringify(benign('ev-1'))}${padding}\n\n${JSON.stringify(benign('ev-2'))}\n`);
    expect(content.length).toBeLessThan(WHOLE_FILE_LIMIT);
    const { ids, problems } = await readAll(file({ 'pad.jsonl.gz': content }, 'pad.jsonl.gz'));
    expect(ids).toEqual(['ev-1', 'ev-2']);
    expect(problems).toEqual([]);
  });

  it('reassembles stdin arriving in tiny chunks that split lines and multi-byte characters', async () => {
    const text = jsonLines([benign('ev-1', { userAgent: 'naïve-client/1.0 ✓' }), benign('ev-2')]);
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) => bytes.subarray(i * 3, i * 3 + 3));
    const { results, ids } = await readAll({ kind: 'stdin', stream: Readable.from(chunks) });
    expect(ids).toEqual(['ev-1', 'ev-2']);
    const events = results.flatMap((r) => (r.kind === 'events' ? r.events : []));
    expect(events[0]?.kind === 'cloudtrail' ? events[0].record.userAgent : undefined).toBe('naïve-client/1.0 ✓');
    expect(results.at(-1)).toEqual({ kind: 'read', file: '<stdin>', bytes: bytes.length });
  });

  it('reads gzip by its magic number, not its name', async () => {
    const { ids } = await readAll(file({ 'mislabelled.json': gz(logFile([benign('ev-1')])) }, 'mislabelled.json'));
    expect(ids).toEqual(['ev-1']);
  });

  it('names a file that is not gzip inside', async () => {
    const { problems } = await readAll(file({ 'bad.json.gz': Buffer.from([0x1f, 0x8b, 0, 1, 2, 3]) }, 'bad.json.gz'));
    expect(problems).toEqual([{ kind: 'unreadable', message: expect.stringMatching(/^corrupt or truncated gzip/) }]);
  });
});

describe('readPicked', () => {
  /** What readPicked must give: readInput's results, each batch of events filtered by `keep` where it was cut. */
  const reference = async (input: Input, batchSize: number, keep: Keep): Promise<PickedResult[]> => {
    const out: PickedResult[] = [];
    for await (const r of readInput(input, batchSize)) {
      if (r.kind !== 'events') {
        out.push(r);
        continue;
      }
      const at: number[] = [];
      const kept: AuditEvent[] = [];
      let minMs = Number.POSITIVE_INFINITY;
      let maxMs = Number.NEGATIVE_INFINITY;
      r.events.forEach((e, i) => {
        if (e.timeMs < minMs) minMs = e.timeMs;
        if (e.timeMs > maxMs) maxMs = e.timeMs;
        if (keep(e)) {
          at.push(i);
          kept.push(e);
        }
      });
      out.push({ kind: 'picked', count: r.events.length, at, events: kept, minMs, maxMs });
    }
    return out;
  };
  const records = Array.from({ length: 23 }, (_, i) =>
    i % 5 === 0
      ? stopLogging(`s${i}`, { eventTime: `2026-11-02T10:${String(59 - i).padStart(2, '0')}:00Z` })
      : benign(`b${i}`, { eventTime: `2026-11-02T11:${String(i).padStart(2, '0')}:00Z` }),
  );
  // A record with a field of the wrong type (a notice at its place) and one that is not an event.
  const noisy = [...records.slice(0, 7), benign('n1', { userAgent: 7 }), { eventID: 'x' }, ...records.slice(7)];
  const keep: Keep = (e) => e.id.startsWith('s') || e.id === 'n1';
  const stdin = (): Input => ({ kind: 'stdin', stream: Readable.from([Buffer.from(jsonLines(noisy))]) });
  const inputs: Record<string, () => Input> = {
    'a log file': () => file({ 'a.json': logFile(noisy) }, 'a.json'),
    'a gzipped log file': () => file({ 'a.json.gz': gz(logFile(noisy)) }, 'a.json.gz'),
    'JSON Lines': () => file({ 'a.jsonl': jsonLines(noisy) }, 'a.jsonl'),
    'EventBridge envelopes': () => file({ 'a.jsonl': jsonLines(noisy.map((r) => envelope(r))) }, 'a.jsonl'),
    'log files on lines': () =>
      file({ 'a.jsonl': `${logFile(noisy.slice(0, 9))}\n${logFile(noisy.slice(9))}\n` }, 'a.jsonl'),
    'a pretty-printed array': () => file({ 'a.json': JSON.stringify(noisy, null, 2) }, 'a.json'),
    stdin,
  };
  it.each(Object.keys(inputs))(
    '%s: the results of readInput, each batch cut at the same events and only the kept ones sent',
    async (name) => {
      const made = (inputs[name] as () => Input)();
      // A file is read again as it is; standard input only once, so each read gets its own.
      const input = (): Input => (made.kind === 'stdin' ? stdin() : made);
      for (const batchSize of [1, 4, 1000]) {
        const got: PickedResult[] = [];
        for await (const r of readPicked(input(), batchSize, keep)) got.push(r);
        expect(got).toEqual(await reference(input(), batchSize, keep));
        const picked = got.flatMap((r) => (r.kind === 'picked' ? r.events.map((e) => e.id) : []));
        expect(picked).toEqual(['s0', 's5', 'n1', 's10', 's15', 's20']);
        expect(got.some((r) => r.kind === 'picked' && r.events.length === 0 && r.count > 0)).toBe(batchSize < 1000);
      }
    },
  );
});
