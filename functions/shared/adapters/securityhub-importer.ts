import type { AwsSecurityFinding, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { parseArn } from '../../../rules/core/arn.ts';
import type { Finding } from '../../../rules/core/finding.ts';
import { tacticsOf } from '../../../rules/core/mitre.ts';
import { CONTROLS } from '../../../rules/core/types.ts';

/** Where the findings land: the account's own default product, the one every account may import into. */
export interface SecurityHubTarget {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export const productArnFor = (t: SecurityHubTarget): string =>
  `arn:${t.partition}:securityhub:${t.region}:${t.account}:product/${t.account}/default`;

const LABEL = { info: 'INFORMATIONAL', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' } as const;

/** ASFF resource types for the ARNs rules name; anything else is `Other`, which Security Hub accepts. */
const ASFF_TYPES: Readonly<Record<string, string>> = {
  's3:': 'AwsS3Bucket',
  's3:bucket': 'AwsS3Bucket',
  'iam:role': 'AwsIamRole',
  'iam:user': 'AwsIamUser',
  'iam:policy': 'AwsIamPolicy',
  'iam:group': 'AwsIamGroup',
  'ec2:security-group': 'AwsEc2SecurityGroup',
  'ec2:instance': 'AwsEc2Instance',
  'ec2:vpc': 'AwsEc2Vpc',
  'ec2:volume': 'AwsEc2Volume',
  'ec2:snapshot': 'AwsEc2Snapshot',
  'ec2:network-acl': 'AwsEc2NetworkAcl',
  'cloudtrail:trail': 'AwsCloudTrailTrail',
  'kms:key': 'AwsKmsKey',
  'lambda:function': 'AwsLambdaFunction',
  'rds:db': 'AwsRdsDbInstance',
  'rds:cluster': 'AwsRdsDbCluster',
  'secretsmanager:secret': 'AwsSecretsManagerSecret',
  'sns:': 'AwsSnsTopic',
  'sqs:': 'AwsSqsQueue',
  'guardduty:detector': 'Other',
};

export const asffResourceType = (arn: string): string => {
  if (arn.startsWith('AWS::::Account:')) return 'AwsAccount';
  const p = parseArn(arn);
  if (p === undefined) return 'Other';
  return ASFF_TYPES[`${p.service}:${p.resourceType}`] ?? 'Other';
};

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const ISO_TYPE = 'Software and Configuration Checks/Industry and Regulatory Standards/ISO 27001';

/** ASFF limits (Security Hub user guide, "ASFF syntax"): past them a whole import is refused. */
export const ASFF_LIMITS = { resources: 32, relatedRequirements: 32, productFieldValue: 2048 } as const;

/**
 * The replay mark of a finding found by `trailwarden replay` in past CloudTrail (rules/core/replay.ts); live
 * findings and the CLI's carry none.
 */
const isReplay = (f: Finding): boolean => f.replay !== undefined;

const field = (value: string): string => truncate(value, ASFF_LIMITS.productFieldValue);

/**
 * One finding in ASFF. `UpdatedAt` is the import time, not the finding's last event: Security Hub keeps the
 * stored finding unless the import is newer, so a fold must always carry a later `UpdatedAt` than the last one.
 *
 * `AwsAccountId` is the importing account (the target's): the default product accepts no other, and a pipeline
 * in an audit account judges events of member accounts. The member account is named as an `AwsAccount`
 * resource and in `trailwarden/account`.
 *
 * A drill is imported, so a drill proves the grant and the path, but archived at birth and titled `[DRILL]`:
 * Security Hub's default views, insights and most automation rules look at `RecordState` ACTIVE only.
 */
export const toAsff = (
  f: Finding,
  target: SecurityHubTarget,
  importedAt: string,
  evidenceKey?: string,
): AwsSecurityFinding => {
  const incidentId = f.incidentId;
  const replay = isReplay(f);
  const types = [ISO_TYPE, ...tacticsOf(f.mitre).map((t) => `TTPs/${t.name}`)];
  const severity = { Label: LABEL[f.severity], Original: f.severity };
  const named = [
    ...(f.account === target.account && f.resources.length > 0 ? [] : [`AWS::::Account:${f.account}`]),
    ...f.resources,
  ];
  const resources = named.slice(0, ASFF_LIMITS.resources);
  const omitted = named.length - resources.length;
  return {
    SchemaVersion: '2018-10-08',
    Id: f.id,
    ProductArn: productArnFor(target),
    GeneratorId: f.ruleId,
    AwsAccountId: target.account,
    Region: f.region,
    Types: types,
    // Where a provider states severity and types; analysts' own changes (BatchUpdateFindings) then stay theirs.
    FindingProviderFields: { Severity: severity, Types: types },
    FirstObservedAt: f.firstSeen,
    LastObservedAt: f.lastSeen,
    CreatedAt: f.firstSeen,
    UpdatedAt: importedAt,
    Severity: severity,
    Title: truncate(`${f.drill ? '[DRILL] ' : ''}${replay ? '[REPLAY] ' : ''}${f.title}`, 256),
    Description: truncate(f.description, 1024),
    Remediation: {
      Recommendation: { Text: truncate(f.runbook.map((s, i) => `${i + 1}. ${s}`).join(' '), 512) },
    },
    Compliance: {
      Status: 'FAILED',
      RelatedRequirements: f.controls
        .slice(0, ASFF_LIMITS.relatedRequirements)
        .map((c) => `ISO/IEC 27001:2022 Annex A ${c} ${CONTROLS[c]}`),
    },
    // A finding about the account as a whole names the account, as Security Hub's own controls do.
    Resources: resources.map((id) => {
      const p = parseArn(id);
      return {
        Type: asffResourceType(id),
        Id: id,
        ...(p === undefined
          ? {}
          : { Partition: p.partition === 'aws' ? 'aws' : p.partition === 'aws-cn' ? 'aws-cn' : 'aws-us-gov' }),
        Region: p?.region || f.region,
      };
    }),
    ProductFields: {
      'trailwarden/ruleId': f.ruleId,
      'trailwarden/account': f.account,
      'trailwarden/count': String(f.count),
      'trailwarden/actor': field(f.actor.arn),
      ...(f.actor.sourceIp === undefined ? {} : { 'trailwarden/sourceIp': field(f.actor.sourceIp) }),
      ...(evidenceKey === undefined ? {} : { 'trailwarden/evidenceKey': evidenceKey }),
      ...(incidentId === undefined ? {} : { 'trailwarden/incidentId': incidentId }),
      ...(omitted > 0 ? { 'trailwarden/resourcesOmitted': String(omitted) } : {}),
      ...(f.drill ? { 'trailwarden/drill': 'true' } : {}),
      ...(f.replay === undefined ? {} : { 'trailwarden/replay': f.replay.id }),
    },
    RecordState: f.drill ? 'ARCHIVED' : 'ACTIVE',
    // Honoured on the first import only: after that the workflow belongs to the analysts (BatchUpdateFindings).
    Workflow: { Status: f.suppression?.status === 'active' ? 'SUPPRESSED' : 'NEW' },
  };
};

/**
 * Security Hub refused the finding for a reason retrying will not cure: not enabled in the account or region,
 * no grant, or a finding it calls invalid. The sink pages anyway and reports it: an attacker who disables
 * Security Hub must not silence the pager with it.
 */
export class SecurityHubRejected extends Error {
  override readonly name = 'SecurityHubRejected';
}

export interface FindingImporter {
  /** Imports a new finding, or a later state of one already imported (same `Id`): never a second finding. */
  import(finding: Finding, evidenceKey?: string): Promise<void>;
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException']);
/** Errors of the call that no retry cures (the API's documented ones, and IAM's). */
const PERMANENT = new Set(['InvalidAccessException', 'AccessDeniedException', 'InvalidInputException']);
/** Per-finding error codes worth a retry; any other code in `FailedFindings` is a rejection of the finding. */
const TRANSIENT_CODES = /throttl|internal|unavailable|timeout|limitexceeded/i;

export interface ImporterOptions {
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly attempts?: number;
}

/**
 * Imports with BatchImportFindings, one finding a call so a failure is always that finding's. Throttling is
 * retried here with backoff; a transient error (a server error, throttling that outlasts the backoff, a
 * `FailedFindings` entry with a transient code) throws so the detector's failure path retries the events before
 * anyone is paged (the ledger keeps the page from repeating); a permanent one throws `SecurityHubRejected`.
 */
export const createSecurityHubImporter = (
  client: SecurityHubClient,
  target: SecurityHubTarget,
  options: ImporterOptions = {},
): FindingImporter => {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = options.attempts ?? 3;
  return {
    import: async (finding, evidenceKey) => {
      // Loaded on first use: the evaluate function's cold start does not pay for the Security Hub client.
      const { BatchImportFindingsCommand } = await import('@aws-sdk/client-securityhub');
      const command = new BatchImportFindingsCommand({
        Findings: [toAsff(finding, target, now().toISOString(), evidenceKey)],
      });
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await client.send(command);
          const failed = out.FailedFindings ?? [];
          if ((out.FailedCount ?? failed.length) > 0 || failed.length > 0) {
            const why = failed.map((x) =>
              `${x.Id ?? finding.id}: ${x.ErrorCode ?? '?'} ${x.ErrorMessage ?? ''}`.trim(),
            );
            const message = `Security Hub rejected finding ${why.join('; ') || finding.id}`;
            const transient = failed.length === 0 || failed.some((x) => TRANSIENT_CODES.test(x.ErrorCode ?? ''));
            throw transient ? new Error(message) : new SecurityHubRejected(message);
          }
          return;
        } catch (err) {
          const name = err instanceof Error ? err.name : '';
          if (PERMANENT.has(name)) {
            throw new SecurityHubRejected(
              `Security Hub refused the import: ${name}: ${err instanceof Error ? err.message : String(err)}`,
            );
          }
          if (!THROTTLED.has(name) || attempt >= attempts) throw err;
          await sleep(100 * 2 ** attempt);
        }
      }
    },
  };
};
