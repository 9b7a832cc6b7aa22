import { createHash } from 'node:crypto';
import type { Finding } from './finding.ts';
import { atLeast, SEVERITY_RANK } from './finding.ts';
import type { ReplayMark } from './replay.ts';
import { replayNamespace, replayPartition } from './replay.ts';
import { HIDDEN_USER } from './signin.ts';
import type { Control, Severity } from './vocabulary.ts';

/**
 * Related findings grouped so one attack pages once (DESIGN §6): findings of one actor (principal, else source
 * IP) in one account, within a sliding correlation window of event time. Drill findings form drill-only
 * incidents. An incident is evidence too: each state is archived under `incidentKey` / `revisionKey`.
 */
export interface Incident {
  readonly schema: 'trailwarden.incident/v1';
  /** Deterministic: hash of (drill flag, account, actorKey, opening finding's `firstSeen`). */
  readonly id: string;
  /** Principal ARN (IAM user, role session, root) or `ip:<sourceIp>` when there is none (masked failed sign-in). */
  readonly actorKey: string;
  readonly account: string;
  /** Drill findings never join a real incident. */
  readonly drill: boolean;
  /** Replay findings form incidents of their replay only (`replay.ts`). */
  readonly replay?: ReplayMark;
  /** Highest severity of its findings. */
  readonly severity: Severity;
  /** Highest severity that paged (escalations once per level); null while nothing paged. */
  readonly pagedSeverity: Severity | null;
  /** ISO, the opening finding's `firstSeen`. */
  readonly openedAt: string;
  /** ISO, the latest `lastSeen` of its findings: the sliding window runs from here. */
  readonly lastSeen: string;
  readonly findingIds: readonly string[];
  readonly ruleIds: readonly string[];
  readonly controls: readonly Control[];
  /** The findings that paged (`page`, then each `escalation`), in order: what the pager was told. */
  readonly pages: readonly IncidentPage[];
  /** Number of state changes (1 = opened); evidence key = `revisionKey(incidentKey(i), revision)`. */
  readonly revision: number;
}

export interface IncidentPage {
  readonly findingId: string;
  readonly kind: 'page' | 'escalation';
  readonly severity: Severity;
}

/** What a published finding tells subscribers (SNS attribute `kind`); `resolved` closes what paged by itself. */
export type NotificationKind = 'page' | 'update' | 'escalation' | 'resolved';
export const NOTIFICATION_KINDS = ['page', 'update', 'escalation', 'resolved'] as const;

/** Hive-style like findings: `incidents/dt=YYYY-MM-DD/<id>.json`, the day the incident opened. */
export const incidentKey = (i: Incident): string =>
  i.replay === undefined
    ? `incidents/dt=${i.openedAt.slice(0, 10)}/${i.id}.json`
    : `incidents/${replayPartition(i.replay)}${i.id}.json`;

/** The exact bytes archived (the digest chain hashes these). */
export const incidentBody = (i: Incident): string => `${JSON.stringify(i, null, 2)}\n`;

export interface IncidentConfig {
  /** Sliding correlation window in minutes of event time (each new finding extends it). */
  readonly correlationMinutes: number;
  /** The first finding at or above this severity pages the incident. */
  readonly pageSeverity: Severity;
}

export const INCIDENT_LIMITS = { correlationMinutes: { default: 60, min: 1, max: 1440 } } as const;
export const DEFAULT_INCIDENT_CONFIG: IncidentConfig = {
  correlationMinutes: INCIDENT_LIMITS.correlationMinutes.default,
  pageSeverity: 'high',
};

/**
 * An incident takes at most this many findings; the next one opens a new incident. Keeps one actor that never
 * pauses for a whole window (a busy automation role) from growing one object without bound.
 */
export const MAX_INCIDENT_FINDINGS = 500;

const isPrincipal = (arn: string): boolean => arn !== '' && arn !== 'unknown';

/**
 * Who acted: the principal (user, role session, root — the session, not the role, so two people assuming one
 * role are two actors), else `ip:<sourceIp>` (a failed sign-in for a name that does not exist carries no
 * principal), else `unknown`.
 */
export const actorKeyOf = (f: Finding): string => {
  if (isPrincipal(f.actor.arn) && f.actor.userName !== HIDDEN_USER) return f.actor.arn;
  return f.actor.sourceIp ? `ip:${f.actor.sourceIp}` : 'unknown';
};

/** Findings of one scope may share an incident; the store keeps one item per scope. */
export const incidentScope = (f: Finding): string =>
  `${f.replay === undefined ? '' : replayNamespace(f.replay)}${f.drill ? 'drill' : 'live'}|${f.account}|${actorKeyOf(f)}`;

export const incidentId = (
  drill: boolean | { readonly drill: boolean; readonly replay?: ReplayMark },
  account: string,
  actorKey: string,
  openedAtMs: number,
  /** Only when an incident of the same actor opened at the same instant is full: the opening finding's id. */
  tiebreak = '',
): string => {
  const flag = typeof drill === 'boolean' ? drill : drill.drill;
  const replay = typeof drill === 'boolean' || drill.replay === undefined ? '' : replayNamespace(drill.replay);
  return createHash('sha256')
    .update(
      `incident\u0000${replay}${flag ? 'drill' : 'live'}\u0000${account}\u0000${actorKey}\u0000${openedAtMs}${tiebreak}`,
    )
    .digest('hex')
    .slice(0, 32);
};

/** The recent incidents of one scope (newest last): what the store keeps per actor. */
export interface IncidentScopeState {
  readonly incidents: readonly Incident[];
}
export const EMPTY_SCOPE: IncidentScopeState = { incidents: [] };

/** One finding's place: its incident (final state after the batch) and what its publication says. */
export interface IncidentAssignment {
  readonly findingId: string;
  readonly incident: Incident;
  readonly kind: Exclude<NotificationKind, 'resolved'>;
}

const ms = (iso: string): number => Date.parse(iso);
const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a);
const windowMs = (config: IncidentConfig): number => config.correlationMinutes * 60_000;

/** Does the finding fall within the incident's sliding window (either side: CloudTrail delivers late)? */
const covers = (i: Incident, f: Finding, w: number): boolean =>
  ms(f.firstSeen) <= ms(i.lastSeen) + w && ms(f.lastSeen) >= ms(i.openedAt) - w;

/**
 * What a new finding does to an incident's pager: the first finding at or above the paging severity pages;
 * a later one above everything paged so far escalates (once per level); all else is an update. An actively
 * suppressed finding never pages.
 */
export const notificationFor = (
  pagedSeverity: Severity | null,
  f: Finding,
  config: IncidentConfig,
): Exclude<NotificationKind, 'resolved'> => {
  if (f.suppression?.status === 'active') return 'update';
  if (pagedSeverity === null) return atLeast(f.severity, config.pageSeverity) ? 'page' : 'update';
  return SEVERITY_RANK[f.severity] > SEVERITY_RANK[pagedSeverity] ? 'escalation' : 'update';
};

const open = (
  f: Finding,
  config: IncidentConfig,
  tiebreak = '',
): { incident: Incident; kind: IncidentAssignment['kind'] } => {
  const kind = notificationFor(null, f, config);
  const actorKey = actorKeyOf(f);
  return {
    kind,
    incident: {
      schema: 'trailwarden.incident/v1',
      id: incidentId(f, f.account, actorKey, ms(f.firstSeen), tiebreak),
      actorKey,
      account: f.account,
      drill: f.drill,
      ...(f.replay === undefined ? {} : { replay: f.replay }),
      severity: f.severity,
      pagedSeverity: kind === 'page' ? f.severity : null,
      openedAt: f.firstSeen,
      lastSeen: f.lastSeen,
      findingIds: [f.id],
      ruleIds: [f.ruleId],
      controls: [...f.controls],
      pages: kind === 'page' ? [{ findingId: f.id, kind, severity: f.severity }] : [],
      revision: 1,
    },
  };
};

const join = (
  i: Incident,
  f: Finding,
  config: IncidentConfig,
): { incident: Incident; kind: IncidentAssignment['kind'] } => {
  const kind = notificationFor(i.pagedSeverity, f, config);
  const paged = kind === 'page' || kind === 'escalation';
  return {
    kind,
    incident: {
      ...i,
      severity: maxSeverity(i.severity, f.severity),
      pagedSeverity: paged ? f.severity : i.pagedSeverity,
      lastSeen: ms(f.lastSeen) > ms(i.lastSeen) ? f.lastSeen : i.lastSeen,
      findingIds: [...i.findingIds, f.id],
      ruleIds: i.ruleIds.includes(f.ruleId) ? i.ruleIds : [...i.ruleIds, f.ruleId],
      controls: [...new Set([...i.controls, ...f.controls])],
      pages: paged ? [...i.pages, { findingId: f.id, kind, severity: f.severity }] : i.pages,
      revision: i.revision + 1,
    },
  };
};

/**
 * Incidents kept per scope: those a finding could still join (within the window plus an hour of CloudTrail
 * lateness of the newest), and never more than a few, so the item stays small.
 */
const KEEP_LATE_MS = 60 * 60_000;
const KEEP_MAX = 8;
const prune = (incidents: readonly Incident[], config: IncidentConfig): Incident[] => {
  const newest = Math.max(...incidents.map((i) => ms(i.lastSeen)));
  return incidents
    .filter((i) => ms(i.lastSeen) + windowMs(config) + KEEP_LATE_MS >= newest)
    .sort((a, b) => ms(a.lastSeen) - ms(b.lastSeen))
    .slice(-KEEP_MAX);
};

/**
 * The order findings are placed in: event time, then the more severe first (one event that matches a critical
 * and a high rule pages once, at critical), then id, so any arrival order gives the same decisions.
 */
export const byEventOrder = (a: Finding, b: Finding): number =>
  ms(a.firstSeen) - ms(b.firstSeen) ||
  SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Pure correlation of one scope's findings (one batch) against its stored state. Findings are taken in event
 * order; a finding already in an incident (a redelivered batch, a retry after a failed page) changes nothing and
 * gets back the kind it had, so a retried page is a page again and never a second page. `changed` is false when
 * nothing needs writing.
 */
export const correlate = (
  state: IncidentScopeState,
  findings: readonly Finding[],
  config: IncidentConfig,
): {
  readonly state: IncidentScopeState;
  readonly assignments: readonly IncidentAssignment[];
  readonly changed: boolean;
} => {
  const w = windowMs(config);
  let incidents = [...state.incidents];
  let changed = false;
  const placed: { findingId: string; incidentId: string; kind: IncidentAssignment['kind'] }[] = [];
  const ordered = [...findings].sort(byEventOrder);
  for (const f of ordered) {
    const known = incidents.find((i) => i.findingIds.includes(f.id));
    if (known !== undefined) {
      const paged = known.pages.find((p) => p.findingId === f.id);
      placed.push({ findingId: f.id, incidentId: known.id, kind: paged?.kind ?? 'update' });
      continue;
    }
    // The most recent incident whose window covers the finding; a full one no longer takes findings.
    const target = [...incidents].reverse().find((i) => covers(i, f, w) && i.findingIds.length < MAX_INCIDENT_FINDINGS);
    let result = target === undefined ? open(f, config) : join(target, f, config);
    // Only a full incident opened at the same instant can share the new id: tell them apart.
    if (target === undefined && incidents.some((i) => i.id === result.incident.id)) result = open(f, config, f.id);
    const replaced = target;
    incidents =
      replaced === undefined
        ? [...incidents, result.incident]
        : incidents.map((i) => (i === replaced ? result.incident : i));
    placed.push({ findingId: f.id, incidentId: result.incident.id, kind: result.kind });
    changed = true;
  }
  const finalById = new Map(incidents.map((i) => [i.id, i]));
  const assignments = placed.flatMap((p) => {
    const incident = finalById.get(p.incidentId);
    return incident === undefined ? [] : [{ findingId: p.findingId, incident, kind: p.kind }];
  });
  return { state: changed ? { incidents: prune(incidents, config) } : state, assignments, changed };
};

/** Group a batch's findings by scope: one store write per scope (per actor) per batch at most. */
export const byScope = (findings: readonly Finding[]): Map<string, Finding[]> => {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = incidentScope(f);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [f]);
    else group.push(f);
  }
  return groups;
};

/** Epoch seconds after which a scope's item may be deleted: a week after its newest incident could take a finding. */
export const scopeExpiresAt = (state: IncidentScopeState, config: IncidentConfig, nowMs: number): number => {
  const newest = Math.max(0, ...state.incidents.map((i) => ms(i.lastSeen)));
  return Math.ceil((Math.max(newest, nowMs) + windowMs(config) + KEEP_LATE_MS) / 1000) + 7 * 86_400;
};
