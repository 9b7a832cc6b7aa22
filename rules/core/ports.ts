import type { Finding } from './finding.ts';
import type { Fire, WindowEvent, WindowParams } from './window.ts';

/** Threshold counters: one entry per (rule, group) key, observed a batch at a time. */
export interface CounterStore {
  observe(requests: readonly CounterRequest[]): Promise<readonly CounterResult[]>;
}
export interface CounterRequest {
  readonly key: string;
  readonly params: WindowParams;
  readonly events: readonly WindowEvent[];
}
export type CounterResult =
  | { readonly key: string; readonly ok: true; readonly fires: readonly Fire[] }
  | { readonly key: string; readonly ok: false; readonly error: string };

/**
 * Dedup and delivery bookkeeping. `admit` decides whether a finding pages (`deliver`), folds into one
 * already paged inside the dedup window (`fold`), or was already delivered (`duplicate`, e.g. on retry).
 * `delivered` is recorded only after the sink succeeded, so a failed page is retried, not lost.
 */
export interface FindingLedger {
  admit(finding: Finding, dedupKey: string, windowMs: number): Promise<Admission>;
  delivered(finding: Finding, dedupKey: string): Promise<void>;
}
export type Admission =
  | { readonly kind: 'deliver'; readonly finding: Finding }
  | { readonly kind: 'fold'; readonly finding: Finding }
  | { readonly kind: 'duplicate'; readonly finding: Finding };

/** Where findings go: SNS + S3 evidence in the Lambda, the terminal in the CLI. */
export interface FindingSink {
  /** A new finding: archive and page. */
  deliver(finding: Finding): Promise<void>;
  /** A repeat folded into a finding already paged: archive the updated finding, do not page. */
  fold(finding: Finding): Promise<void>;
}

export interface Clock {
  now(): number;
}
