/// <reference lib="dom" />
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempTree } from './helpers.ts';

/** The policy page in Debian's chromium through playwright-core, as report-browser.test.ts does for report.html. */
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

describe('trailwarden policy --format html in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the example policy offline: no console errors, no requests, every section; screenshot written', async () => {
    const dir = tempTree();
    const run = await runCli(
      [
        'policy',
        '--config',
        join(root, 'examples', 'trailwarden.config.json'),
        '--format',
        'html',
        '--out',
        'policy.html',
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    const file = join(dir, 'policy.html');
    const url = pathToFileURL(file).href;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);

    expect(await page.locator('h1').textContent()).toBe('Monitoring and logging policy');
    const headings = await page.locator('h2').allTextContents();
    expect(headings).toEqual([
      '1. Scope',
      '2. Log sources and retention',
      '3. Asset criticality and risk-based thresholds',
      '4. Severity definitions and response SLAs',
      '5. Escalation paths',
      '6. Rule ownership and review cadence',
      '7. Drill schedule',
      '8. Suppression and change windows',
      '9. Evidence handling and integrity checks',
    ]);
    // The severity table renders as a table with one row per severity, and the page fits the window.
    const layout = await page.evaluate(() => ({
      severityRows:
        [...document.querySelectorAll('h2')]
          .find((h) => h.textContent?.startsWith('4.'))
          ?.parentElement?.querySelectorAll('tbody tr').length ?? 0,
      markers: document.querySelectorAll('.src').length,
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      scripts: document.querySelectorAll('script').length,
    }));
    expect(layout.severityRows).toBe(5);
    expect(layout.markers).toBeGreaterThan(30);
    expect(layout.scripts).toBe(0);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);

    const shot = join(mkdtempSync(join(tmpdir(), 'trailwarden-policy-')), 'policy-1280.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot) && statSync(shot).size > 10_000).toBe(true);
    console.info(`policy.html screenshot: ${shot}`);
    await context.close();
  }, 60_000);
});
