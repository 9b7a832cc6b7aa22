import { isIP } from 'node:net';
import { parseArn, partitionOf } from '../../rules/core/arn.ts';
import type { Finding } from '../../rules/core/finding.ts';
import { parentTechnique, techniqueOf } from '../../rules/core/mitre.ts';
import type { Severity } from '../../rules/core/types.ts';
import { CONTROLS } from '../../rules/core/types.ts';

/** The newest OCSF release; ../shared/ocsf holds its compiled Detection Finding schema, which tests validate against. */
export const OCSF_VERSION = '1.8.0';

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
export const OCSF_SEVERITY: Readonly<Record<Severity, { readonly id: number; readonly name: string }>> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

interface OcsfAccount {
  readonly uid: string;
  readonly type_id: 10;
  readonly type: 'AWS Account';
}

interface OcsfUser {
  readonly uid: string;
  readonly name: string;
  /** 2 Admin (root), 4 Service (an AWS service), 99 Other (its CloudTrail `userIdentity.type` in `type`). */
  readonly type_id: 2 | 4 | 99;
  readonly type: string;
  readonly account?: OcsfAccount;
}

/** Where the call came from: an address in `ip`, a service name (`cloudformation.amazonaws.com`, `AWS Internal`) in `svc_name`. */
type OcsfEndpoint = { readonly ip: string } | { readonly svc_name: string };

interface OcsfAttack {
  readonly tactic: { readonly uid: string; readonly name: string };
  readonly technique: { readonly uid: string; readonly name?: string };
  readonly sub_technique?: { readonly uid: string; readonly name: string };
}

interface OcsfResource {
  readonly uid: string;
  readonly type?: string;
  readonly region?: string;
  readonly cloud_partition?: string;
  readonly owner?: { readonly account: OcsfAccount };
}

/** The subset of OCSF 1.8.0 Detection Finding (class 2004, `cloud` profile) Trailwarden fills in. */
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
  /** 1 New, or 3 Suppressed when an active suppression matched (archived, never paged). */
  readonly status_id: 1 | 3;
  readonly status: 'New' | 'Suppressed';
  readonly confidence_id: 2 | 3;
  readonly confidence: 'Medium' | 'High';
  readonly is_alert: boolean;
  readonly time: number;
  readonly start_time: number;
  readonly end_time: number;
  readonly count: number;
  readonly message: string;
  readonly metadata: {
    readonly version: string;
    readonly uid: string;
    readonly correlation_uid?: string;
    readonly log_name: 'findings';
    readonly log_provider: 'Trailwarden';
    readonly product: {
      readonly uid: 'trailwarden';
      readonly name: 'Trailwarden';
      readonly vendor_name: 'Trailwarden';
      readonly version?: string;
    };
    readonly profiles: readonly ['cloud'];
  };
  readonly finding_info: {
    readonly uid: string;
    readonly title: string;
    readonly desc: string;
    readonly types: readonly string[];
    readonly first_seen_time: number;
    readonly last_seen_time: number;
    readonly analytic: { readonly uid: string; readonly name: string; readonly type_id: 1; readonly type: 'Rule' };
    readonly attacks?: readonly OcsfAttack[];
    readonly related_events: readonly { readonly uid: string }[];
    readonly related_events_count: number;
  };
  readonly cloud: {
    readonly provider: 'AWS';
    readonly account: OcsfAccount;
    readonly region: string;
    readonly cloud_partition: string;
  };
  readonly resources: readonly OcsfResource[];
  readonly evidences: readonly {
    readonly actor: { readonly user: OcsfUser };
    readonly api: { readonly operation: string };
    readonly src_endpoint?: OcsfEndpoint;
    readonly http_request?: { readonly user_agent: string };
  }[];
  readonly remediation?: {
    readonly desc: string;
    readonly kb_article_list: readonly { readonly uid: string; readonly title: string }[];
  };
  readonly unmapped: {
    readonly compliance: { readonly standards: readonly ['ISO/IEC 27001:2022']; readonly controls: readonly string[] };
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

/**
 * `A.8.15` → `ISO/IEC 27001:2022 A.8.15 Logging`. Detection Finding has no `compliance` object without the
 * security_control profile (Compliance Finding is another class), so the controls travel as finding types and in
 * `unmapped.compliance`.
 */
export const controlType = (control: keyof typeof CONTROLS): string =>
  `ISO/IEC 27001:2022 ${control} ${CONTROLS[control]}`;

const account = (uid: string): OcsfAccount => ({ uid, type_id: 10, type: 'AWS Account' });

/**
 * CloudTrail's `sourceIPAddress` is an address, or the name of the service that made the call on the caller's
 * behalf (`cloudformation.amazonaws.com`, `AWS Internal`). Only a real address goes in `ip`: an IP-typed SIEM
 * field rejects the rest, and a forged name must not pass for an address.
 */
export const ocsfEndpoint = (source: string): OcsfEndpoint =>
  isIP(source) === 0 ? { svc_name: source } : { ip: source };

const userOf = (f: Finding): OcsfUser => {
  const arnAccount = parseArn(f.actor.arn)?.account;
  const typeId = f.actor.type === 'Root' ? 2 : f.actor.type === 'AWSService' ? 4 : 99;
  return {
    uid: f.actor.arn,
    name: f.actor.userName ?? f.actor.arn,
    type_id: typeId,
    type: typeId === 2 ? 'Admin' : typeId === 4 ? 'Service' : f.actor.type,
    ...(arnAccount !== undefined && /^\d{12}$/.test(arnAccount) ? { account: account(arnAccount) } : {}),
  };
};

/**
 * One attack per technique and tactic (an OCSF attack names one tactic). A sub-technique goes under its parent
 * technique. A technique the table does not know still appears, by id, under no tactic name it could get wrong.
 */
export const ocsfAttacks = (mitre: readonly string[]): OcsfAttack[] =>
  mitre.flatMap((uid) => {
    const known = techniqueOf(uid);
    if (known === undefined) return [];
    const parent = parentTechnique(uid);
    const parentName = techniqueOf(parent)?.name;
    const technique = { uid: parent, ...(parentName === undefined ? {} : { name: parentName }) };
    const sub = parent === uid ? {} : { sub_technique: { uid, name: known.name } };
    return known.tactics.map((t) => ({ tactic: { uid: t.uid, name: t.name }, technique, ...sub }));
  });

/** An ARN's type as `service:type` (`iam:role`, `s3:bucket`); region, partition and owning account when it has them. */
export const ocsfResource = (uid: string, fallbackRegion: string): OcsfResource => {
  const arn = parseArn(uid);
  if (arn === undefined) return { uid };
  return {
    uid,
    type: `${arn.service}:${arn.resourceType === '' ? (arn.service === 's3' ? 'bucket' : 'resource') : arn.resourceType}`,
    region: arn.region === '' ? fallbackRegion : arn.region,
    cloud_partition: arn.partition,
    ...(/^\d{12}$/.test(arn.account) ? { owner: { account: account(arn.account) } } : {}),
  };
};

/**
 * OCSF rendering for security lakes and SIEMs. `time` is the finding's last seen time rather than the
 * wall clock, so a replay of the same logs renders byte-identical output.
 */
export const toOcsf = (f: Finding, productVersion?: string): OcsfDetectionFinding => {
  const severity = OCSF_SEVERITY[f.severity];
  const firstSeen = Date.parse(f.firstSeen);
  const lastSeen = Date.parse(f.lastSeen);
  const suppressed = f.suppression?.status === 'active';
  const attacks = ocsfAttacks(f.mitre);
  const incidentId = f.incidentId;
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
    status_id: suppressed ? 3 : 1,
    status: suppressed ? 'Suppressed' : 'New',
    // A single observed call matching a rule is near-certain; a count over a window is a judgement call.
    confidence_id: f.threshold === null ? 3 : 2,
    confidence: f.threshold === null ? 'High' : 'Medium',
    is_alert: !suppressed,
    time: lastSeen,
    start_time: firstSeen,
    end_time: lastSeen,
    count: f.count,
    message: f.title,
    metadata: {
      version: OCSF_VERSION,
      uid: f.id,
      ...(incidentId === undefined ? {} : { correlation_uid: incidentId }),
      log_name: 'findings',
      log_provider: 'Trailwarden',
      product: {
        uid: 'trailwarden',
        name: 'Trailwarden',
        vendor_name: 'Trailwarden',
        ...(productVersion === undefined ? {} : { version: productVersion }),
      },
      // No `host`: the actor is named in `evidences`, where Detection Finding defines it without that profile.
      profiles: ['cloud'],
    },
    finding_info: {
      uid: f.id,
      title: f.title,
      desc: f.description,
      types: f.controls.map(controlType),
      first_seen_time: firstSeen,
      last_seen_time: lastSeen,
      analytic: { uid: f.ruleId, name: f.title, type_id: 1, type: 'Rule' },
      ...(attacks.length === 0 ? {} : { attacks }),
      related_events: f.eventIds.map((uid) => ({ uid })),
      // `related_events` stops at MAX_EVENT_IDS; the count does not.
      related_events_count: f.count,
    },
    cloud: {
      provider: 'AWS',
      account: account(f.account),
      region: f.region,
      cloud_partition: parseArn(f.actor.arn)?.partition ?? partitionOf(f.region),
    },
    resources: f.resources.map((uid) => ocsfResource(uid, f.region)),
    evidences: [
      {
        actor: { user: userOf(f) },
        api: { operation: f.eventName },
        ...(f.actor.sourceIp === undefined ? {} : { src_endpoint: ocsfEndpoint(f.actor.sourceIp) }),
        ...(f.actor.userAgent === undefined ? {} : { http_request: { user_agent: f.actor.userAgent } }),
      },
    ],
    ...(f.runbook.length === 0
      ? {}
      : {
          remediation: {
            desc: f.runbook.map((step, i) => `${i + 1}. ${step}`).join('\n'),
            // The runbook is documented per rule in docs/RULES.md, under the rule id.
            kb_article_list: [{ uid: f.ruleId, title: `Trailwarden runbook: ${f.title}` }],
          },
        }),
    unmapped: {
      compliance: { standards: ['ISO/IEC 27001:2022'], controls: f.controls.map(controlType) },
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
