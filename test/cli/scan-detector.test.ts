import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ScanDeps } from '../../cli/commands/scan.ts';
import { scanCommand } from '../../cli/commands/scan.ts';
import { isSuccess } from '../../rules/core/cloudtrail.ts';
import { defineRule } from '../../rules/core/define-rule.ts';
import { createDetector } from '../../rules/core/detector.ts';
import { buildCatalogue } from '../../rules/core/engine.ts';
import type { AuditEvent, CloudTrailSelector, RuleDefinition } from '../../rules/core/types.ts';
import { benign, ioFor, jsonLinesOf, logFile, stopLogging, tempTree } from './helpers.ts';

const rule = (id: string, overrides: Partial<RuleDefinition<CloudTrailSelector>> = {}) =>
  defineRule<CloudTrailSelector>({
    id,
    title: `Test rule ${id}`,
    severity: 'low',
    controls: ['A.8.15'],
    mitre: [],
    on: { source: 'cloudtrail', eventNames: ['StopLogging'] },
    match: (e) => isSuccess(e),
    ...overrides,
  });

/** The real detector, watched: every batch it is handed is recorded. */
const watched = (rules: Parameters<typeof buildCatalogue>[0]) => {
  const batches: number[] = [];
  const deps: ScanDeps = {
    catalogue: buildCatalogue(rules),
    createDetector: (d) => {
      const real = createDetector(d);
      return {
        process: (events: readonly AuditEvent[]) => {
          batches.push(events.length);
          return real.process(events);
        },
      };
    },
  };
  return { deps, batches };
};

/**
 * A rule with memory listening to the benign calls too: the scan judges rules without memory where it reads and
 * drops what they do not match, but every event a rule with memory listens to reaches the detector.
 */
const remembering = () =>
  rule('test.low-stop', {
    on: { source: 'cloudtrail', eventNames: ['StopLogging', 'StartLogging'] },
    history: { key: () => 'all', remember: () => undefined, retainSeconds: 60 },
    match: (e) => e.eventName === 'StopLogging' && isSuccess(e),
  });

const scan = async (args: readonly string[], deps: ScanDeps, stdin?: Readable) => {
  const { io, stdout, stderr } = ioFor(stdin === undefined ? {} : { stdin });
  const code = await scanCommand(args, io, () => {}, deps);
  return { code, stdout: stdout(), stderr: stderr() };
};

describe('trailwarden scan: streaming', () => {
  it('hands 200k records from stdin to the detector in batches no larger than --batch, while still reading', async () => {
    const total = 200_000;
    const base = benign('template');
    let produced = 0;
    let producedAtFirstBatch: number | undefined;
    function* lines(): Generator<string> {
      for (let i = 0; i < total; i++) {
        produced++;
        const line =
          i === 123_456
            ? JSON.stringify(stopLogging('ev-needle'))
            : JSON.stringify({ ...base, eventID: `ev-${i}`, eventTime: new Date(1714564800000 + i).toISOString() });
        yield `${line}\n`;
      }
    }
    const { deps, batches } = watched([remembering()]);
    const spied: ScanDeps = {
      ...deps,
      createDetector: (d) => {
        const inner = deps.createDetector(d);
        return {
          process: (events: readonly AuditEvent[]) => {
            producedAtFirstBatch ??= produced;
            return inner.process(events);
          },
        };
      },
    };
    const { code, stdout, stderr } = await scan(
      ['-', '--format', 'jsonl', '--batch', '500'],
      spied,
      Readable.from(lines()),
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/scanned 200000 events in 1 file/);
    expect(jsonLinesOf(stdout).map((f) => f.eventIds)).toEqual([['ev-needle']]);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...batches)).toBeLessThanOrEqual(500);
    expect(batches.length).toBe(total / 500);
    // The first batch reached the detector long before the input was read to its end.
    expect(producedAtFirstBatch).toBeLessThan(total / 10);
  }, 120_000);

  it('gathers the events of many small files into full batches', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [`f${String(i).padStart(2, '0')}.json`, logFile([benign(`ev-${i}`)])]),
    );
    const { deps, batches } = watched([remembering()]);
    await scan([tempTree(files), '--batch', '10', '--jobs', '1'], deps);
    expect(batches).toEqual([10, 10, 5]);
  });

  it('with --jobs 1 too, hands the detector only the events a rule without memory matches', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [
        `f${String(i).padStart(2, '0')}.json`,
        logFile([i % 4 === 0 ? stopLogging(`ev-${i}`, { requestParameters: { name: `t${i}` } }) : benign(`ev-${i}`)]),
      ]),
    );
    const { deps, batches } = watched([
      rule('test.low-stop', {
        on: { source: 'cloudtrail', eventNames: ['StopLogging', 'StartLogging'] },
        match: (e) => e.eventName === 'StopLogging' && isSuccess(e),
      }),
    ]);
    const { stdout } = await scan([tempTree(files), '--batch', '10', '--jobs', '1', '--format', 'jsonl'], deps);
    // The StartLogging calls are judged (no match) before the detector; the StopLogging ones reach it.
    expect(batches).toEqual([3, 2, 2]);
    expect(jsonLinesOf(stdout).length).toBeGreaterThan(0);
  });

  it('with workers, hands the detector only the events a rule listens to, in the batches they fell in', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [
        `f${String(i).padStart(2, '0')}.json`,
        logFile([i % 4 === 0 ? stopLogging(`ev-${i}`, { requestParameters: { name: `t${i}` } }) : benign(`ev-${i}`)]),
      ]),
    );
    const dir = tempTree(files);
    const { deps, batches } = watched([rule('test.low-stop')]);
    const { stdout } = await scan([dir, '--batch', '10', '--jobs', '2', '--format', 'jsonl'], deps);
    // StopLogging at positions 0, 4, 8 | 12, 16 | 20, 24: batches of 10 events, benign ones left in the workers.
    expect(batches).toEqual([3, 2, 2]);
    const one = await scan(
      [dir, '--batch', '10', '--jobs', '1', '--format', 'jsonl'],
      watched([rule('test.low-stop')]).deps,
    );
    expect(jsonLinesOf(stdout)).toEqual(jsonLinesOf(one.stdout));
    expect(jsonLinesOf(stdout).length).toBeGreaterThan(0);
  });
});

describe('trailwarden scan: --fail-on against severities', () => {
  const tree = () => tempTree({ 'log.json': logFile([stopLogging('ev-stop')]) });

  it.each([
    ['medium', 0],
    ['low', 1],
    ['info', 1],
  ])('a low finding with --fail-on %s exits %i', async (failOn, expected) => {
    const { deps } = watched([rule('test.low-stop')]);
    const { code, stdout } = await scan([tree(), '--fail-on', failOn, '--format', 'jsonl'], deps);
    expect(jsonLinesOf(stdout).map((f) => f.severity)).toEqual(['low']);
    expect(code).toBe(expected);
  });
});

describe('trailwarden scan: rule errors', () => {
  it('names the rule and event of a predicate that throws, counts it, and keeps the other rules', async () => {
    const throwing = rule('test.throws', {
      match: () => {
        throw new Error('boom');
      },
    });
    const { deps } = watched([throwing, rule('test.low-stop')]);
    const { code, stdout, stderr } = await scan(
      [tempTree({ 'log.json': logFile([stopLogging('ev-x')]) }), '--format', 'jsonl'],
      deps,
    );
    expect(code).toBe(0);
    expect(stderr).toContain('trailwarden: rule test.throws failed on event ev-x: boom');
    expect(stderr).toMatch(/; rule errors: 1$/m);
    expect(jsonLinesOf(stdout).map((f) => f.ruleId)).toEqual(['test.low-stop']);
  });
});

describe('trailwarden scan: ordering', () => {
  it('prints the most severe first, then the oldest', async () => {
    const { deps } = watched([
      rule('test.low-stop'),
      rule('test.high-stop', { severity: 'high', dedup: { key: (e) => e.eventID } }),
    ]);
    const dir = tempTree({
      'log.json': logFile([
        stopLogging('ev-late', { eventTime: '2024-05-01T13:00:00Z', requestParameters: { name: 'b' } }),
        stopLogging('ev-early', { eventTime: '2024-05-01T12:00:00Z', requestParameters: { name: 'a' } }),
      ]),
    });
    const { stdout } = await scan([dir, '--format', 'jsonl'], deps);
    const order = jsonLinesOf(stdout).map((f) => `${f.severity} ${(f.eventIds as string[]).join()}`);
    expect(order[0]).toBe('high ev-early');
    expect(order[1]).toBe('high ev-late');
    expect(order.slice(2).every((o) => o.startsWith('low'))).toBe(true);
  });
});
