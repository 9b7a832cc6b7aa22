import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256 } from '../../rules/core/evidence.ts';
import type { Review } from '../../rules/core/review.ts';
import { buildReview, parseQuarter, REVIEW_PREFIX, renderReviewMarkdown } from '../../rules/core/review.ts';
import { parseOptions } from '../args.ts';
import type { Io } from '../io.ts';
import { EXIT, errorLine, message } from '../io.ts';
import type { MetricsDeps } from './metrics.ts';
import { EVIDENCE_OPTIONS, evidenceOptions, loadMetrics } from './metrics.ts';

const REVIEW_OPTIONS = {
  ...EVIDENCE_OPTIONS,
  quarter: { type: 'string' },
  out: { type: 'string' },
} as const;

export const reviewBody = (review: Review): string => `${JSON.stringify(review, null, 2)}\n`;

/**
 * `reviews/dt=<day written>/<quarter>-<hash>.json` (and `.md`): a review of the same data is the same object (a
 * re-run writes nothing); a review after new evidence arrived is a new object beside the old one, never over it.
 */
export const reviewKeys = (review: Review, writtenAt: string): { json: string; md: string } => {
  const stem = `${REVIEW_PREFIX}dt=${writtenAt.slice(0, 10)}/${review.quarter}-${sha256(reviewBody(review)).hex.slice(0, 16)}`;
  return { json: `${stem}.json`, md: `${stem}.md` };
};

/** `trailwarden review --quarter YYYY-QN --source …`: 0 written, 2 usage errors. */
export const reviewCommand = async (
  args: readonly string[],
  io: Io,
  usage: () => void,
  deps: MetricsDeps = {},
): Promise<number> => {
  const fail = (text: string): number => {
    errorLine(io, text);
    usage();
    return EXIT.usage;
  };
  const parsed = parseOptions(args, REVIEW_OPTIONS);
  if (!parsed.ok) return fail(parsed.error);
  const { values, positionals } = parsed;
  if (positionals.length > 0) return fail(`unexpected argument: ${positionals[0]}`);
  if (values.quarter === undefined) return fail('review needs --quarter YYYY-QN (e.g. 2026-Q4)');
  const quarter = parseQuarter(values.quarter);
  if (quarter === undefined) return fail(`--quarter must look like 2026-Q4, got "${values.quarter}"`);
  if (values.source === undefined) return fail('review needs --source DIR|s3://BUCKET/PREFIX');
  // Measured as of the start of today (or the quarter's end): a re-run the same day is the same review.
  const now = (deps.now ?? Date.now)();
  const today = now - (now % 86_400_000);
  const loaded = await loadMetrics(
    { ...evidenceOptions(values.source, values), from: quarter.from, to: quarter.to },
    io,
    deps,
    today,
  );
  if (!loaded.ok) return loaded.code;
  const review = buildReview({ quarter, metrics: loaded.metrics, view: loaded.view, catalogue: loaded.catalogue });
  const markdown = renderReviewMarkdown(review);
  const keys = reviewKeys(review, new Date(now).toISOString());
  const { source } = loaded;
  let digest: string | undefined;
  let written: string[];
  try {
    const json = await source.put(keys.json, reviewBody(review));
    const md = await source.put(keys.md, markdown);
    written = [json === 'written' ? keys.json : '', md === 'written' ? keys.md : ''].filter((k) => k !== '');
    digest = await source.seal();
  } catch (err) {
    errorLine(io, `cannot archive the review in ${source.label}: ${message(err)}`);
    return EXIT.usage;
  }
  if (values.out !== undefined) {
    try {
      writeFileSync(resolve(io.cwd ?? process.cwd(), values.out), markdown);
    } catch (err) {
      errorLine(io, `cannot write ${values.out}: ${message(err)}`);
      return EXIT.usage;
    }
  }
  io.stdout.write(markdown);
  io.stderr.write(
    written.length === 0
      ? `review ${review.quarter}: the same review is already archived (${keys.json})\n`
      : `review ${review.quarter} archived: ${written.join(', ')}${digest === undefined ? '' : `; chained in ${digest}`}\n`,
  );
  return EXIT.ok;
};
