import type { Finding } from '../../rules/core/finding.ts';
import type { Severity } from '../../rules/core/types.ts';
import { CONTROLS } from '../../rules/core/types.ts';

export const OCSF_VERSION = '1.1.0';

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
export const OCSF_SEVERITY: Readonly<Record<Severity, { readonly id: number; readonly name: string }>> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

interface OcsfUser {
  readonly uid: string;
  readonly name: string;
}

/** The subset of OCSF 1.1 Detection Finding (class 2004) Trailwarden fills in. */
export interface OcsfDetectionFinding {
  readonly activity_id: 1;
  readonly activity_name: 'Create';
  readonly category_uid: 2;
  readonly category_name: 'Findings';
  readonly class_uid: 2004;
  readonly class_name: 'Detection Finding';
  readonly type_uid: 200401;
  readonly type_name: 'Detection Finding: Create';
  readonly severity_id: number;
  readonly severity: string;
  readonly status_id: 1;
  readonly status: 'New';
  readonly time: number;
  readonly count: number;
  readonly message: string;
  readonly metadata: {
    readonly version: string;
    readonly product: { readonly name: 'Trailwarden'; readonly vendor_name: 'Trailwarden'; readonly version?: string };
    readonly profiles: readonly string[];
    /** The finding's incident: OCSF's own attribute "used to correlate events" (`metadata.correlation_uid`). */
    readonly correlation_uid?: string;
  };
  readonly finding_info: {
    readonly uid: string;
    readonly title: string;
    readonly desc: string;
    readonly types: readonly string[];
    readonly first_seen_time: number;
    readonly last_seen_time: number;
    readonly analytic: { readonly uid: string; readonly name: string; readonly type_id: 1; readonly type: 'Rule' };
    readonly attacks?: readonly { readonly technique: { readonly uid: string } }[];
    readonly related_events: readonly { readonly uid: string }[];
  };
  readonly cloud: {
    readonly provider: 'AWS';
    readonly account: { readonly uid: string; readonly type_id: 10; readonly type: 'AWS Account' };
    readonly region: string;
  };
  /** Host profile attribute in OCSF 1.1; the same actor is repeated in `evidences`, where 1.1 defines it. */
  readonly actor: { readonly user: OcsfUser };
  readonly resources: readonly { readonly uid: string }[];
  readonly evidences: readonly {
    readonly actor: { readonly user: OcsfUser };
    readonly api: { readonly operation: string };
    readonly src_endpoint?: { readonly ip: string };
    readonly http_request?: { readonly user_agent: string };
  }[];
  readonly unmapped: {
    readonly controls: readonly string[];
    readonly criticality: string;
    readonly group_key: string;
    readonly actor_type: string;
    readonly threshold: Finding['threshold'];
    readonly runbook: readonly string[];
    readonly drill: boolean;
    /** The rule's explanation, and any record fields ignored for having the wrong type. */
    readonly details?: readonly string[];
    readonly suppression?: Finding['suppression'];
    readonly schema: Finding['schema'];
  };
}

/** `A.8.15` → `ISO/IEC 27001:2022 A.8.15 Logging`: OCSF has no compliance object on Detection Finding. */
export const controlType = (control: keyof typeof CONTROLS): string =>
  `ISO/IEC 27001:2022 ${control} ${CONTROLS[control]}`;

/**
 * OCSF rendering for security lakes and SIEMs. `time` is the finding's last seen time rather than the
 * wall clock, so a replay of the same logs renders byte-identical output.
 */
export const toOcsf = (f: Finding, productVersion?: string): OcsfDetectionFinding => {
  const severity = OCSF_SEVERITY[f.severity];
  const firstSeen = Date.parse(f.firstSeen);
  const lastSeen = Date.parse(f.lastSeen);
  const user: OcsfUser = { uid: f.actor.arn, name: f.actor.userName ?? f.actor.arn };
  const src = f.actor.sourceIp === undefined ? {} : { src_endpoint: { ip: f.actor.sourceIp } };
  return {
    activity_id: 1,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    severity_id: severity.id,
    severity: severity.name,
    status_id: 1,
    status: 'New',
    time: lastSeen,
    count: f.count,
    message: f.title,
    metadata: {
      version: OCSF_VERSION,
      product: {
        name: 'Trailwarden',
        vendor_name: 'Trailwarden',
        ...(productVersion === undefined ? {} : { version: productVersion }),
      },
      profiles: ['cloud'],
      ...(f.incidentId === undefined ? {} : { correlation_uid: f.incidentId }),
    },
    finding_info: {
      uid: f.id,
      title: f.title,
      desc: f.description,
      types: f.controls.map(controlType),
      first_seen_time: firstSeen,
      last_seen_time: lastSeen,
      analytic: { uid: f.ruleId, name: f.title, type_id: 1, type: 'Rule' },
      ...(f.mitre.length === 0 ? {} : { attacks: f.mitre.map((uid) => ({ technique: { uid } })) }),
      related_events: f.eventIds.map((uid) => ({ uid })),
    },
    cloud: { provider: 'AWS', account: { uid: f.account, type_id: 10, type: 'AWS Account' }, region: f.region },
    actor: { user },
    resources: f.resources.map((uid) => ({ uid })),
    evidences: [
      {
        actor: { user },
        api: { operation: f.eventName },
        ...src,
        ...(f.actor.userAgent === undefined ? {} : { http_request: { user_agent: f.actor.userAgent } }),
      },
    ],
    unmapped: {
      controls: f.controls,
      criticality: f.criticality,
      group_key: f.groupKey,
      actor_type: f.actor.type,
      threshold: f.threshold,
      runbook: f.runbook,
      drill: f.drill,
      ...(f.details ? { details: f.details } : {}),
      ...(f.suppression ? { suppression: f.suppression } : {}),
      schema: f.schema,
    },
  };
};

export const renderFindingsOcsf = (findings: readonly Finding[], productVersion?: string): string[] =>
  findings.map((f) => JSON.stringify(toOcsf(f, productVersion)));
