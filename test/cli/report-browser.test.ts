/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLinesOf, runCli, tempTree } from './helpers.ts';

/**
 * report.html in a real browser (issue 10 §4): Debian's chromium, driven by playwright-core (no browser
 * download). `.ci/run` installs chromium when it is missing, as it does Java.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const root = join(import.meta.dirname, '..', '..');
const config = join(root, 'examples', 'trailwarden.config.json');

/** The examples scanned, a few decisions recorded, and exported for `from`..`to`. */
const exportExamples = async (from: string, to: string): Promise<string> => {
  const cwd = tempTree();
  const evidence = join(cwd, 'evidence');
  const scan = await runCli(
    ['scan', join(root, 'examples', 'logs'), '--config', config, '--format', 'jsonl', '--evidence', evidence],
    { cwd },
  );
  const findings = jsonLinesOf(scan.stdout) as unknown as {
    id: string;
    ruleId: string;
    firstSeen: string;
    incidentId?: string;
  }[];
  const later = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();
  for (const [i, f] of findings.entries()) {
    const target = f.incidentId ?? f.id;
    await runCli(
      ['triage', target, '--ack', '--at', later(f.firstSeen, 5 + i * 4), '--by', 'alice', '--source', evidence],
      { cwd },
    );
    if (i % 3 === 2) continue;
    const verdict = i % 3 === 1 ? 'false-positive' : 'true-positive';
    await runCli(
      [
        'triage',
        target,
        '--resolve',
        '--verdict',
        verdict,
        '--at',
        later(f.firstSeen, 40 + i * 30),
        '--by',
        'bob',
        '--source',
        evidence,
      ],
      { cwd },
    );
  }
  await runCli(
    [
      'triage',
      '--missed',
      'access key abuse reported by AWS Support',
      '--rule',
      'iam.access-key-created',
      '--at',
      '2026-11-02T18:00:00Z',
      '--by',
      'carol',
      '--source',
      evidence,
    ],
    { cwd },
  );
  const out = join(cwd, `package-${from}`);
  const run = await runCli(['export', '--from', from, '--to', to, '--out', out, '--config', config, evidence], { cwd });
  expect(run.code).toBe(0);
  return join(out, 'report.html');
};

interface Loaded {
  readonly problems: string[];
  readonly requests: string[];
}

describe('report.html in chromium at 1280 px', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const open = async (file: string) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    const page = await context.newPage();
    const url = pathToFileURL(file).href;
    const seen: Loaded = { problems: [], requests: [] };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') seen.problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) seen.requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, context, seen };
  };

  it('loads offline with no errors or requests, shows every chart and table, fits 1280 px; screenshot written', async () => {
    const { page, context, seen } = await open(await exportExamples('2026-11-01', '2026-11-07'));
    expect(seen.problems).toEqual([]);
    expect(seen.requests).toEqual([]);

    const headings = await page.locator('h2').allTextContents();
    expect(headings).toEqual(
      expect.arrayContaining([
        'Findings per control per day',
        'Findings by severity',
        'Findings by rule',
        'Time to acknowledge and resolve per rule',
        'Time to acknowledge and resolve per severity',
        'False positives per rule',
        'Tuning metrics per rule',
        'Incident responses',
        'Missed detections',
        'Findings',
      ]),
    );
    // What follows each heading: a chart for the charts, a table with rows for the tables.
    const next = (heading: string) =>
      page.evaluate((h) => {
        const el = [...document.querySelectorAll('h2')].find((x) => x.textContent === h)?.nextElementSibling;
        return {
          tag: el?.tagName.toLowerCase() ?? '',
          rows: el?.querySelectorAll('tr').length ?? 0,
          bars: el?.querySelectorAll('rect').length ?? 0,
        };
      }, heading);
    for (const chart of [
      'Findings per control per day',
      'Time to acknowledge and resolve per rule',
      'Time to acknowledge and resolve per severity',
      'False positives per rule',
    ]) {
      const el = await next(chart);
      expect(el.tag, chart).toBe('svg');
      expect(el.bars, chart).toBeGreaterThan(1);
    }
    for (const table of [
      'Findings by severity',
      'Findings by rule',
      'Tuning metrics per rule',
      'Incident responses',
      'Missed detections',
      'Findings',
    ]) {
      const el = await next(table);
      expect(el.tag, table).toBe('table');
      expect(el.rows, table).toBeGreaterThan(1);
    }

    // Nothing wider than the window, and no chart text cut off at its chart's edge (the legend was).
    const fit = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      clipped: [...document.querySelectorAll('svg')].flatMap((svg) => {
        const width = svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text')]
          .filter((t) => t.getAttribute('transform') === null)
          .filter((t) => {
            const b = t.getBBox();
            return b.x < 0 || b.x + b.width > width + 0.5;
          })
          .map((t) => t.textContent ?? '');
      }),
      // Two labels of one chart drawn over each other (legend entries were).
      overlapping: [...document.querySelectorAll('svg')].flatMap((svg) => {
        const boxes = [...svg.querySelectorAll('text')]
          .filter((t) => t.getAttribute('transform') === null)
          .map((t) => ({ text: t.textContent ?? '', b: t.getBBox() }));
        return boxes.flatMap((a, i) =>
          boxes
            .slice(i + 1)
            .filter(
              ({ b }) =>
                a.b.x < b.x + b.width && b.x < a.b.x + a.b.width && a.b.y < b.y + b.height && b.y < a.b.y + a.b.height,
            )
            .map((o) => `${a.text} / ${o.text}`),
        );
      }),
    }));
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.clientWidth);
    expect(fit.clipped).toEqual([]);
    expect(fit.overlapping).toEqual([]);

    const shot = join(mkdtempSync(join(tmpdir(), 'trailwarden-report-')), 'report-1280.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`report.html screenshot: ${shot}`);
    await context.close();
  }, 60_000);

  it('a one-day period charts by hour, not one bar', async () => {
    const { page, context, seen } = await open(await exportExamples('2026-11-02', '2026-11-02'));
    expect(seen.problems).toEqual([]);
    const hours = await page.evaluate(() => {
      const svg = [...document.querySelectorAll('h2')].find(
        (x) => x.textContent === 'Findings per control per hour',
      )?.nextElementSibling;
      return [...(svg?.querySelectorAll('rect title') ?? [])].map((t) => (t.textContent ?? '').slice(0, 16));
    });
    expect(new Set(hours).size).toBeGreaterThan(1);
    const fit = await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    expect(fit).toBe(true);
    const shot = join(mkdtempSync(join(tmpdir(), 'trailwarden-report-')), 'report-one-day-1280.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`report.html (one day) screenshot: ${shot}`);
    await context.close();
  }, 60_000);
});
