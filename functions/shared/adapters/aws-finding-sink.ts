import type { Finding } from '../../../rules/core/finding.ts';
import type { FindingSink } from '../../../rules/core/ports.ts';
import { shouldPage } from '../../../rules/core/suppressions.ts';
import { chatKindOf } from '../chat-notification.ts';
import type { EvidenceStore } from './s3-evidence-store.ts';
import type { FindingImporter } from './securityhub-importer.ts';
import { SecurityHubRejected } from './securityhub-importer.ts';
import type { ChatNotifier } from './sns-chat-notifier.ts';
import type { Notifier } from './sns-notifier.ts';

/**
 * Archive first, then publish: a finding that paged is always in the evidence bucket, and so is the state of its
 * incident (archived by the detector before the incident's first publication in a batch). Every finding is
 * published with its incident's `kind`, so a pager subscription takes pages and escalations and drops updates.
 * A folded repeat is archived as a new revision of the finding (a new key; evidence is never overwritten) and is
 * not published. An actively suppressed finding is archived, flagged, and not published.
 */
export interface AwsFindingSinkOptions {
  /** A finding Security Hub refused for good (it was paged and archived all the same): log and count it. */
  readonly onImportRejected?: (finding: Finding, error: SecurityHubRejected) => void;
  /**
   * The chat topic (`chat: { enabled: true }`): a card for every finding that pages, updates included, posted
   * before the page. A failed post throws before anyone is paged, so the retry pages once; a failed page after a
   * good post posts the card again on the retry (a repeated card, never a repeated page).
   */
  readonly chat?: ChatNotifier;
}

export const createAwsFindingSink = (
  evidence: EvidenceStore,
  notifier: Notifier,
  securityHub?: FindingImporter,
  options: AwsFindingSinkOptions = {},
): FindingSink => {
  /**
   * Imported before the page: a transient failure throws before anyone is paged, so the detector's retry pages
   * once; a failed page after a good import re-imports the same Id, which Security Hub treats as an update. A
   * rejection no retry cures (Security Hub disabled, no grant, an invalid finding) is reported and the page goes
   * out: Security Hub is a copy for triage, never a gate in front of the pager.
   */
  const importOrReport = async (finding: Finding, key: string): Promise<void> => {
    try {
      await securityHub?.import(finding, key);
    } catch (err) {
      if (!(err instanceof SecurityHubRejected)) throw err;
      options.onImportRejected?.(finding, err);
    }
  };
  return {
    deliver: async (finding, notice) => {
      const { key } = await evidence.put(finding);
      await importOrReport(finding, key);
      if (!shouldPage(finding)) return;
      await options.chat?.publish(finding, {
        kind: chatKindOf(notice),
        evidenceKey: key,
        ...(notice ? { notice } : {}),
      });
      await notifier.publish(finding, key, notice);
    },
    fold: async (finding) => {
      const { key } = await evidence.put(finding);
      // Same Id, later UpdatedAt and count: Security Hub updates the finding it has, never adds one.
      await importOrReport(finding, key);
    },
    incident: async (incident) => {
      await evidence.putIncident(incident);
    },
  };
};
