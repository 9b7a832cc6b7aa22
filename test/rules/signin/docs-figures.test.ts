import { describe, expect, it } from 'vitest';
import { LEARNING_DAYS, docs as newSource, REMEMBER_DAYS } from '../../../rules/signin/new-source.rule.ts';
import {
  FAILURES_BEFORE_SUCCESS,
  LOOKBACK_MS,
  docs as successAfterFailures,
} from '../../../rules/signin/success-after-failures.rule.ts';

/** Descriptions are plain literals (kept out of the Lambda bundle): their figures must follow the constants. */
describe('figures in rule descriptions', () => {
  it('signin.new-source states its memory and learning period', () => {
    expect(newSource.description).toContain(`last ${REMEMBER_DAYS} days`);
    expect(newSource.description).toContain(`at least ${LEARNING_DAYS} days`);
  });

  it('signin.success-after-failures states its failure count and look-back', () => {
    expect(successAfterFailures.description).toContain(`${FAILURES_BEFORE_SUCCESS} or more times`);
    expect(successAfterFailures.description).toContain(`${LOOKBACK_MS / 60_000} minutes before`);
  });
});
