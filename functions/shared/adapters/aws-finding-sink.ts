import type { FindingSink } from '../../../rules/core/ports.ts';
import { shouldPage } from '../../../rules/core/suppressions.ts';
import type { EvidenceStore } from './s3-evidence-store.ts';
import type { Notifier } from './sns-notifier.ts';

/**
 * Archive first, then page: a finding that paged is always in the evidence bucket. A folded repeat is archived
 * as a new revision of the finding (a new key; evidence is never overwritten) and never pages. An actively suppressed finding is archived,
 * flagged, and not paged.
 */
export const createAwsFindingSink = (evidence: EvidenceStore, notifier: Notifier): FindingSink => ({
  deliver: async (finding) => {
    const { key } = await evidence.put(finding);
    if (shouldPage(finding)) await notifier.publish(finding, key);
  },
  fold: async (finding) => {
    await evidence.put(finding);
  },
});
