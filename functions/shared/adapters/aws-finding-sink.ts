import type { FindingSink } from '../../../rules/core/ports.ts';
import { shouldPage } from '../../../rules/core/suppressions.ts';
import type { EvidenceStore } from './s3-evidence-store.ts';
import type { Notifier } from './sns-notifier.ts';

/**
 * Archive first, then publish: a finding that paged is always in the evidence bucket, and so is the state of its
 * incident (archived by the detector before the incident's first publication in a batch). Every finding is
 * published with its incident's `kind`, so a pager subscription takes pages and escalations and drops updates.
 * A folded repeat is archived as a new revision of the finding (a new key; evidence is never overwritten) and is
 * not published. An actively suppressed finding is archived, flagged, and not published.
 */
export const createAwsFindingSink = (evidence: EvidenceStore, notifier: Notifier): FindingSink => ({
  deliver: async (finding, notice) => {
    const { key } = await evidence.put(finding);
    if (shouldPage(finding)) await notifier.publish(finding, key, notice);
  },
  fold: async (finding) => {
    await evidence.put(finding);
  },
  incident: async (incident) => {
    await evidence.putIncident(incident);
  },
});
