import type { FindingSink } from '../../../rules/core/ports.ts';
import { shouldPage } from '../../../rules/core/suppressions.ts';
import type { EvidenceStore } from './s3-evidence-store.ts';
import type { FindingImporter } from './securityhub-importer.ts';
import type { Notifier } from './sns-notifier.ts';

/**
 * Archive first, then publish: a finding that paged is always in the evidence bucket, and so is the state of its
 * incident (archived by the detector before the incident's first publication in a batch). Every finding is
 * published with its incident's `kind`, so a pager subscription takes pages and escalations and drops updates.
 * A folded repeat is archived as a new revision of the finding (a new key; evidence is never overwritten) and is
 * not published. An actively suppressed finding is archived, flagged, and not published.
 */
export const createAwsFindingSink = (
  evidence: EvidenceStore,
  notifier: Notifier,
  securityHub?: FindingImporter,
): FindingSink => ({
  deliver: async (finding, notice) => {
    const { key } = await evidence.put(finding);
    // Imported before the page: a failed import throws before anyone is paged, so the detector's retry pages
    // once; a failed page after a good import re-imports the same Id, which Security Hub treats as an update.
    await securityHub?.import(finding, key);
    if (shouldPage(finding)) await notifier.publish(finding, key, notice);
  },
  fold: async (finding) => {
    const { key } = await evidence.put(finding);
    // Same Id, later UpdatedAt and count: Security Hub updates the finding it has, never adds one.
    await securityHub?.import(finding, key);
  },
  incident: async (incident) => {
    await evidence.putIncident(incident);
  },
});
