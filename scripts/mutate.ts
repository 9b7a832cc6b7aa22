import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * `npm run mutate [-- <core file>...]`: Stryker over `rules/core`, one file per run, so a run on a shared
 * two-core machine stays short and each file keeps its own incremental record (a re-run only tests mutants
 * whose code or tests changed). Not part of `npm test` or CI. Concurrency: MUTATE_CONCURRENCY (default 1).
 * MUTATE_TESTS=glob,glob narrows the tests run (vitest.mutate.config.ts): the score is then a lower bound.
 * MUTATE_TIMEOUT_MS overrides stryker.config.json's timeoutMS (20 s), for files whose mutants often hang.
 */
const CORE = 'rules/core';
const OUT = 'reports/mutation';

const wanted = process.argv.slice(2).map((a) => basename(a).replace(/\.ts$/, ''));
const core = readdirSync(CORE)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''));
const files = wanted.length === 0 ? core : wanted.filter((w) => core.includes(w));
const unknown = wanted.filter((w) => !core.includes(w));
if (unknown.length > 0) {
  console.error(`not in ${CORE}: ${unknown.join(', ')}`);
  process.exit(2);
}

interface Report {
  readonly files: Record<string, { readonly mutants: readonly { readonly status: string }[] }>;
}
const score = (report: Report) => {
  const n = (status: string) =>
    Object.values(report.files).reduce((sum, f) => sum + f.mutants.filter((m) => m.status === status).length, 0);
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  // A file with no mutants (types only, or static data Stryker skips) has no score, not a perfect one.
  return {
    mutants: valid,
    detected,
    survived: n('Survived'),
    noCoverage: n('NoCoverage'),
    score: valid ? `${((100 * detected) / valid).toFixed(2).padStart(6)} %` : '   n/a  ',
  };
};

mkdirSync(`${OUT}/by-file`, { recursive: true });
const rows: string[] = [];
for (const file of files) {
  const run = spawnSync(
    'npx',
    [
      'stryker',
      'run',
      '--mutate',
      `${CORE}/${file}.ts`,
      '--incrementalFile',
      `reports/incremental/${file}.json`,
      '--concurrency',
      process.env.MUTATE_CONCURRENCY ?? '1',
      // A mutant that hangs (a loop that never ends) is detected once it times out: a shorter timeout finds it sooner.
      ...(process.env.MUTATE_TIMEOUT_MS ? ['--timeoutMS', process.env.MUTATE_TIMEOUT_MS] : []),
    ],
    { stdio: 'inherit' },
  );
  const json = `${OUT}/mutation.json`;
  if (run.status !== 0 || !existsSync(json)) {
    rows.push(`${file}.ts: Stryker failed (exit ${run.status})`);
    continue;
  }
  copyFileSync(json, `${OUT}/by-file/${file}.json`);
  copyFileSync(`${OUT}/mutation.html`, `${OUT}/by-file/${file}.html`);
  const s = score(JSON.parse(readFileSync(json, 'utf8')) as Report);
  rows.push(
    `${`${file}.ts`.padEnd(22)} ${s.score}  mutants ${s.mutants}, killed ${s.detected}, survived ${s.survived}, no coverage ${s.noCoverage}`,
  );
}
const tests = process.env.MUTATE_TESTS?.trim()
  ? `tests: ${process.env.MUTATE_TESTS}`
  : 'tests: vitest.mutate.config.ts';
console.log(`\nMutation score by file (reports in ${OUT}/by-file/; ${tests}):\n${rows.join('\n')}`);
