/**
 * What the bench feeds the evaluate function to count DynamoDB writes: a generated day's routed events (the mix),
 * a brute-force burst and a password spray. Shared by `bench/run.ts` and `bench/writes.ts`.
 */
import { failedLogin, planDay } from '../examples/day.ts';
import type { CtRecord } from '../examples/model.ts';
import { at, byStartThenKey, expand, rngFrom } from '../examples/model.ts';
import { PROD, team } from '../examples/org.ts';
import { scenarioPlan } from '../examples/scenarios.ts';
import type { CloudTrailRecord } from '../rules/core/cloudtrail.ts';
import { toAuditEvent } from '../rules/core/events.ts';
import { catalogue } from '../rules/index.ts';
import { envelope } from '../test/functions/support.ts';

const isRouted = (r: CtRecord): boolean => {
  const parsed = toAuditEvent(r);
  return parsed.ok && catalogue.candidates(parsed.event).length > 0;
};

/**
 * What EventBridge hands the Lambda in a normal day: only events some rule selects (the patterns are built
 * from the rules' selectors), taken from a 60-team day with the scenarios of a few teams.
 */
export const lambdaMix = (): CtRecord[] => {
  const seed = 'trailwarden-bench-lambda';
  const activities = planDay({ teams: 60, workloadFactor: 1 }, seed);
  for (const i of [3, 13, 23]) activities.push(...scenarioPlan(team(i)));
  activities.sort(byStartThenKey);
  const routed: CtRecord[] = [];
  expand(seed, activities, (r) => {
    if (isRouted(r)) routed.push(r);
  });
  return routed;
};

/** A brute-force burst: 1,000 failed sign-ins against one user from 3 addresses in 10 minutes. */
export const bruteForceBurst = (): CtRecord[] => {
  const records: CtRecord[] = [];
  const ctx = { rng: rngFrom('trailwarden-bench-brute-force'), emit: (r: CtRecord) => records.push(r) };
  const agent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  for (let i = 0; i < 1000; i++) failedLogin(ctx, PROD, 'alice', `203.0.113.${1 + (i % 3)}`, agent, at(3) + i * 600);
  return records;
};

/** A password-spraying burst: 1,000 failed sign-ins for 200 users (a fifth unknown names) from 50 IPs in 10 min. */
export const loginBurst = (): CtRecord[] => {
  const records: CtRecord[] = [];
  const ctx = { rng: rngFrom('trailwarden-bench-burst'), emit: (r: CtRecord) => records.push(r) };
  const agent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  for (let i = 0; i < 1000; i++) {
    const user = i % 5 === 0 ? 'HIDDEN_DUE_TO_SECURITY_REASONS' : `user${String(i % 200).padStart(3, '0')}`;
    failedLogin(ctx, PROD, user, `203.0.113.${1 + (i % 50)}`, agent, at(3) + i * 600);
  }
  return records;
};

/** Each record as the SQS body EventBridge would deliver. */
export const bodies = (records: readonly CtRecord[]): string[] =>
  records.map((r) => JSON.stringify(envelope(r as unknown as CloudTrailRecord)));
