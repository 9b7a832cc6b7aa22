import { describe, expect, it } from 'vitest';
import type { DetectionConfig } from '../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../rules/core/config.ts';
import { contextFor } from '../../rules/core/engine.ts';
import { fromRecord } from '../../rules/core/events.ts';
import { isCloudTrailSelector } from '../../rules/core/types.ts';
import { withDocs } from '../../rules/docs.ts';
import { RULES } from '../../rules/index.ts';

/**
 * Issue 11, partition-correct ARNs: every rule's positive cases, moved to GovCloud and China (region and every ARN
 * in the record rewritten to that partition, as CloudTrail writes them there), must name no `arn:aws:` resource:
 * a rule that builds an ARN must take the partition from the region (`rules/core/arn.ts`), never write `aws`.
 */
const DOCUMENTED = await withDocs(RULES);

const PARTITIONS = [
  { region: 'us-gov-west-1', partition: 'aws-us-gov' },
  { region: 'cn-north-1', partition: 'aws-cn' },
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The record as the same call would be logged in `region`: every ARN and the region moved there. */
const moved = (record: Record<string, unknown>, region: string, partition: string): Record<string, unknown> => {
  const text = JSON.stringify(record)
    .replaceAll('arn:aws:', `arn:${partition}:`)
    .replaceAll('"eu-west-1', `"${region}`)
    .replaceAll(':eu-west-1:', `:${region}:`)
    .replaceAll('"us-east-1', `"${region}`)
    .replaceAll(':us-east-1:', `:${region}:`);
  return { ...(JSON.parse(text) as Record<string, unknown>), awsRegion: region };
};

const rows = DOCUMENTED.flatMap(([rule, docs]) =>
  isCloudTrailSelector(rule.on)
    ? docs
        .cases()
        .filter((c) => c.expect === 'match' && isObject(c.event))
        .flatMap((c) => PARTITIONS.map((p) => [`${rule.id}: ${c.name} (${p.partition})`, rule, c, p] as const))
    : [],
);

describe('findings name resources in the partition of their region', () => {
  it('there are cases to move', () => {
    expect(rows.length).toBeGreaterThan(200);
  });

  it.each(rows)('%s', (_name, rule, c, { region, partition }) => {
    const parsed = fromRecord(moved(c.event as Record<string, unknown>, region, partition));
    if (!parsed.ok) throw new Error(parsed.error);
    const e = parsed.event;
    const config: DetectionConfig = c.config ? { ...DEFAULT_DETECTION_CONFIG, ...c.config } : DEFAULT_DETECTION_CONFIG;
    const resources = rule.resources(e);
    const ctx = contextFor(config, e, resources);
    const withHistory = rule.history === null ? ctx : { ...ctx, history: c.history ?? { first: null, sightings: [] } };
    // Whether it still matches in that region is the rule's business (approved regions, say); what it names is ours.
    rule.match(e, c.criticality ? { ...withHistory, criticality: c.criticality } : withHistory);
    const wrong = resources.filter((arn) => arn.startsWith('arn:aws:'));
    expect(wrong, `resources ${JSON.stringify(resources)}`).toEqual([]);
  });
});
