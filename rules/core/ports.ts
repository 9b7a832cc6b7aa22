import type { DigestEntry, DigestLink } from './digest.ts';
import type { GrantMemory, PrincipalRead } from './elevated-access.ts';
import type { Finding } from './finding.ts';
import type { HealthObservation, OpenSilence } from './health.ts';
import type { History, HistorySpec, Sighting } from './history.ts';
import type { Incident, IncidentAssignment, IncidentConfig, NotificationKind } from './incident.ts';
import type { OrgAccount } from './org-health.ts';
import type { Criticality } from './vocabulary.ts';
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
 * `delivered` is recorded only after the sink succeeded, so a failed page is retried, not lost. Where handlers
 * run concurrently, `deliver` is a claim: a second handler admitting the same undelivered finding while the
 * claim holds gets `DeliveryInProgress` instead of paging twice.
 */
export interface FindingLedger {
  admit(finding: Finding, dedupKey: string, windowMs: number): Promise<Admission>;
  delivered(finding: Finding, dedupKey: string): Promise<void>;
  /** Delivery failed: give up this handler's claim at once, so a retry need not wait for it to lapse. */
  release(finding: Finding, dedupKey: string): Promise<void>;
}

/**
 * Another handler holds an unexpired claim to deliver this finding. Not an error in the finding: the events
 * are retried later, and by then the finding is delivered (duplicate) or the claim has lapsed (deliver).
 */
export class DeliveryInProgress extends Error {
  override readonly name = 'DeliveryInProgress';
}
export type Admission =
  | { readonly kind: 'deliver'; readonly finding: Finding }
  | { readonly kind: 'fold'; readonly finding: Finding }
  | { readonly kind: 'duplicate'; readonly finding: Finding };

/** What a delivered finding's publication says about its incident. */
export interface IncidentNotice {
  readonly incident: Incident;
  readonly kind: Exclude<NotificationKind, 'resolved'>;
}

/** Where findings go: SNS + S3 evidence in the Lambda, the terminal in the CLI. */
export interface FindingSink {
  /**
   * A new finding (carrying its `incidentId`): archive, then publish with the notice's `kind` (`page`,
   * `escalation`, or an `update` a pager filters out). Without a notice the finding pages by itself.
   */
  deliver(finding: Finding, notice?: IncidentNotice): Promise<void>;
  /** A repeat folded into a finding already paged: archive the updated finding, do not page. */
  fold(finding: Finding): Promise<void>;
  /**
   * Archive an incident's state: once per incident per batch, before any of its findings is published. Absent
   * where nothing is archived (the CLI without `--evidence`, tests about findings alone).
   */
  incident?(incident: Incident): Promise<void>;
}

/**
 * Incident correlation state, one entry per scope (drill flag, account, actor). `correlate` places a batch's
 * delivered findings with at most one conditional write per scope, so concurrent handlers open one incident and
 * page once, and a finding already placed (a redelivery) changes nothing and gets its original kind back.
 */
export interface IncidentStore {
  correlate(findings: readonly Finding[], config: IncidentConfig): Promise<readonly IncidentResult[]>;
}
export type IncidentResult =
  | ({ readonly ok: true } & IncidentAssignment)
  | { readonly ok: false; readonly findingId: string; readonly error: string };

export interface Clock {
  now(): number;
}

/**
 * Behaviour-rule memory: adds a batch's sightings to each key atomically and returns the merged history.
 * Idempotent per sighting id, so a retried batch changes nothing and sees the same history.
 */
export interface HistoryStore {
  record(requests: readonly HistoryRequest[]): Promise<readonly HistoryResult[]>;
}
export interface HistoryRequest {
  readonly key: string;
  readonly spec: HistorySpec;
  readonly sightings: readonly Sighting[];
}
export type HistoryResult =
  | { readonly key: string; readonly ok: true; readonly history: History }
  | { readonly key: string; readonly ok: false; readonly error: string };

/** The newest event time seen for one account and region: the dead-man switch's pulse. */
export interface Heartbeat {
  readonly account: string;
  readonly region: string;
  readonly lastEventMs: number;
  /** The silence finding paged for this heartbeat and not yet resolved (health function only). */
  readonly silence?: OpenSilence;
}

/**
 * Heartbeats per account+region. `advance` only ever moves a heartbeat forward (out-of-order and replayed events
 * never move it back); `markSilent` and `clearSilence` are conditional, so a heartbeat that moved in between, or
 * a second health run, changes nothing.
 */
export interface HeartbeatStore {
  advance(
    beats: readonly { readonly account: string; readonly region: string; readonly timeMs: number }[],
  ): Promise<void>;
  list(): Promise<readonly Heartbeat[]>;
  /** Remember an open silence, unless the heartbeat moved past `silence.lastEventMs`. True when remembered. */
  markSilent(account: string, region: string, silence: OpenSilence): Promise<boolean>;
  /** Forget the silence `findingId`. True for the one caller that cleared it. */
  clearSilence(account: string, region: string, findingId: string): Promise<boolean>;
}

/** The accounts of the organisation's deployment targets (recursively through OUs). */
export interface OrgAccountSource {
  accounts(): Promise<readonly OrgAccount[]>;
}

/**
 * When each account+region was first expected to send events (remembered on first call, never moved): the
 * start of a silence that began before any event.
 */
export interface ExpectationStore {
  firstExpected(
    pairs: readonly { readonly account: string; readonly region: string }[],
    nowMs: number,
  ): Promise<ReadonlyMap<string, number>>;
}

/** Trail status and selectors for the configured trails; a failed call is a `check-failed` observation. */
export interface TrailStatusSource {
  observe(): Promise<readonly HealthObservation[]>;
}

/** AWS Config recorder status; a failed call is a `check-failed` observation. */
export interface RecorderStatusSource {
  observe(): Promise<readonly HealthObservation[]>;
}

/** Tells subscribers a paged finding cleared by itself (SNS subject `[RESOLVED] …`). */
export interface ResolutionNotifier {
  resolved(finding: Finding, resolvedAt: string, reason: string): Promise<void>;
}

/**
 * The evidence bucket as the scheduled digest function sees it (DESIGN §2, §4): what was written in a period,
 * the chain's last link, and the one write it makes.
 */
export interface DigestStore {
  /** Evidence objects (under every `EVIDENCE_PREFIXES` prefix) last written in `[startMs, endMs)`, with the SHA-256 of their bytes. */
  listEvidence(startMs: number, endMs: number): Promise<readonly DigestEntry[]>;
  /** The latest digest whose key sorts before `beforeKey`, linked by the SHA-256 of its bytes; null when none. */
  previousDigest(beforeKey: string): Promise<DigestLink | null>;
  exists(key: string): Promise<boolean>;
  /** Writes the digest unless `key` already exists; false when it did (another run wrote it first). */
  putDigest(key: string, body: string): Promise<boolean>;
  /** Keeps the signing key's public half beside the evidence (`keys/<fingerprint>.pem`), written once. */
  putPublicKey(key: string, pem: string): Promise<void>;
}

export type { DigestSigner } from './signature.ts';

/**
 * Criticality an account carries as an Organizations tag (`criticality=high`); undefined when it has none or
 * the value is not a level. Config wins over it (rules/core/config.ts `mergeAccountCriticality`).
 */
export interface AccountCriticalitySource {
  criticalityOf(account: string): Promise<Criticality | undefined>;
}

/**
 * The live IAM state of one account for the elevated-access check: every user and role with its grants, or why
 * it could not be read. `ok: false` when the principals could not even be listed: nothing may be resolved then.
 */
export interface IamStateReader {
  read(): Promise<
    | { readonly ok: true; readonly principals: readonly PrincipalRead[] }
    | { readonly ok: false; readonly error: string }
  >;
}

/**
 * What the elevated-access check remembers per account (`GrantMemory`, elevated-access.ts), with a version:
 * `save` is conditional on the version `load` returned, so two overlapping runs cannot both open or resolve.
 */
export interface GrantMemoryStore {
  load(account: string): Promise<{ readonly memory: readonly GrantMemory[]; readonly version: number }>;
  /** False when another run saved first (nothing written). */
  save(account: string, memory: readonly GrantMemory[], version: number): Promise<boolean>;
}
