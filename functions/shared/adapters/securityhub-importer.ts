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

/**
 * One finding in ASFF. `UpdatedAt` is the import time, not the finding's last event: Security Hub keeps the
 * stored finding unless the import is newer, so a fold must always carry a later `UpdatedAt` than the last one.
 */
export const toAsff = (
  f: Finding,
  target: SecurityHubTarget,
  importedAt: string,
  evidenceKey?: string,
): AwsSecurityFinding => {
  const incidentId = f.incidentId;
  return {
    SchemaVersion: '2018-10-08',
    Id: f.id,
    ProductArn: productArnFor(target),
    GeneratorId: f.ruleId,
    AwsAccountId: f.account,
    Region: f.region,
    Types: [ISO_TYPE, ...tacticsOf(f.mitre).map((t) => `TTPs/${t.name}`)],
    FirstObservedAt: f.firstSeen,
    LastObservedAt: f.lastSeen,
    CreatedAt: f.firstSeen,
    UpdatedAt: importedAt,
    Severity: { Label: LABEL[f.severity], Original: f.severity },
    Title: truncate(`${f.drill ? '[DRILL] ' : ''}${f.title}`, 256),
    Description: truncate(f.description, 1024),
    Remediation: {
      Recommendation: { Text: truncate(f.runbook.map((s, i) => `${i + 1}. ${s}`).join(' '), 512) },
    },
    Compliance: {
      Status: 'FAILED',
      RelatedRequirements: f.controls.map((c) => `ISO/IEC 27001:2022 Annex A ${c} ${CONTROLS[c]}`),
    },
    // A finding about the account as a whole names the account, as Security Hub's own controls do.
    Resources: (f.resources.length > 0 ? f.resources : [`AWS::::Account:${f.account}`]).map((id) => {
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
      'trailwarden/count': String(f.count),
      'trailwarden/actor': f.actor.arn,
      ...(f.actor.sourceIp === undefined ? {} : { 'trailwarden/sourceIp': f.actor.sourceIp }),
      ...(evidenceKey === undefined ? {} : { 'trailwarden/evidenceKey': evidenceKey }),
      ...(incidentId === undefined ? {} : { 'trailwarden/incidentId': incidentId }),
      ...(f.drill ? { 'trailwarden/drill': 'true' } : {}),
    },
    RecordState: 'ACTIVE',
    Workflow: { Status: f.suppression?.status === 'active' ? 'SUPPRESSED' : 'NEW' },
  };
};

export interface FindingImporter {
  /** Imports a new finding, or a later state of one already imported (same `Id`): never a second finding. */
  import(finding: Finding, evidenceKey?: string): Promise<void>;
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException']);

export interface ImporterOptions {
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly attempts?: number;
}

/**
 * Imports with BatchImportFindings, one finding a call so a failure is always that finding's. Throttling is
 * retried here with backoff; any other error, and a finding Security Hub lists in `FailedFindings`, throws so
 * the detector's failure path retries the events (the ledger keeps the page from repeating).
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
            throw new Error(`Security Hub rejected finding ${why.join('; ') || finding.id}`);
          }
          return;
        } catch (err) {
          const name = err instanceof Error ? err.name : '';
          if (!THROTTLED.has(name) || attempt >= attempts) throw err;
          await sleep(100 * 2 ** attempt);
        }
      }
    },
  };
};
