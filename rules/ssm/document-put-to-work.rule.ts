import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isJsonObject, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isAwsOwnedDocumentName } from '../core/ssm.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/**
 * AWS-owned documents a State Manager association runs to keep hosts managed, with no script of the caller's:
 * what Quick Setup and Host Management create. Every other AWS document (AWS-RunShellScript,
 * AWS-RunPowerShellScript, AWS-RunRemoteScript, AWS-ApplyAnsiblePlaybooks, …) runs what the caller hands it.
 */
const HOUSEKEEPING: ReadonlySet<string> = new Set(
  ['AWS-GatherSoftwareInventory', 'AWS-UpdateSSMAgent', 'AWS-RunPatchBaseline', 'AWS-RunPatchBaselineAssociation'].map(
    (n) => n.toLowerCase(),
  ),
);

/**
 * The documents the call puts to work, request first, then SSM's answer (UpdateAssociation may name only the
 * association). `undefined` in the list: a document the record does not name, judged as the dangerous case.
 */
const documentsOf = (e: CloudTrailRecord): (string | undefined)[] => {
  if (e.eventName === 'CreateAssociationBatch') {
    const entries = param(e.requestParameters, 'entries');
    const list = Array.isArray(entries) ? entries.filter(isJsonObject) : [];
    return list.length === 0 ? [undefined] : list.map((entry) => stringParam(entry, 'name'));
  }
  return [
    stringParam(e.requestParameters, 'name') ??
      stringParam(e.responseElements, 'associationDescription', 'name') ??
      stringParam(e.responseElements, 'description', 'name'),
  ];
};

/** A document that can run the caller's code: not AWS housekeeping, and for a new default version not AWS's own. */
const isPutToWork = (e: CloudTrailRecord, name: string | undefined): boolean => {
  if (name === undefined) return true;
  if (e.eventName === 'UpdateDocumentDefaultVersion') return !isAwsOwnedDocumentName(name);
  return !HOUSEKEEPING.has(name.toLowerCase());
};

const workingDocuments = (e: CloudTrailRecord): (string | undefined)[] =>
  documentsOf(e).filter((name) => isPutToWork(e, name));

/** `InstanceIds: ["*"]`: every managed node of the account and region, now and later. */
const targetsEveryNode = (e: CloudTrailRecord): boolean => {
  const targets =
    param(e.requestParameters, 'targets') ?? param(e.responseElements, 'associationDescription', 'targets');
  return (
    Array.isArray(targets) &&
    targets.some(
      (t) =>
        isJsonObject(t) &&
        String(t.key ?? '').toLowerCase() === 'instanceids' &&
        Array.isArray(t.values) &&
        t.values.includes('*'),
    )
  );
};

const describe = (e: CloudTrailRecord): string =>
  `${e.eventName} by ${actorArn(e)}: ${workingDocuments(e)
    .map((n) => n ?? '(document not recorded)')
    .join(', ')}${targetsEveryNode(e) ? ' on every managed node (InstanceIds *)' : ''} ${
    stringParam(e.requestParameters, 'scheduleExpression') ?? stringParam(e.requestParameters, 'documentVersion') ?? ''
  }`;

export const rule = defineRule({
  id: 'ssm.document-put-to-work',
  title: 'SSM document run by State Manager or made default outside approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.19'],
  mitre: ['T1651'],
  on: {
    source: 'ssm',
    eventNames: ['CreateAssociation', 'CreateAssociationBatch', 'UpdateAssociation', 'UpdateDocumentDefaultVersion'],
  },
  match: (e, ctx) => workingDocuments(e).length > 0 && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [describe(e), ...unapprovedReasons(e, ctx.config.approved)],
  resources: (e) =>
    workingDocuments(e).flatMap((name) => (name === undefined ? [] : [resourceArn(e, 'ssm', `document/${name}`)])),
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${actorArn(e)}`, windowSeconds: 3600 },
});

const association = (over: Record<string, unknown>) => ({
  requestParameters: over,
  responseElements: { associationDescription: { name: over.name, targets: over.targets } },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Outside the approved process, an existing SSM document was put to work without writing a new one: a State ' +
    'Manager association was created or changed (CreateAssociation, CreateAssociationBatch, UpdateAssociation) to ' +
    'run a Command or Automation document on targets (`InstanceIds: ["*"]` is every managed node, now and later; ' +
    'tag targets reach every tagged node) on a schedule, or a document’s default version was switched ' +
    '(UpdateDocumentDefaultVersion), so every association and command that runs the default now runs that version.',
  runbook: [
    'See what runs where: `aws ssm describe-association --association-id <id>` (document, parameters, targets, ' +
      'schedule) and `aws ssm list-association-executions --association-id <id>`; for a default version, `aws ssm ' +
      'get-document --name <name> --document-version <version>` and compare with the previous default.',
    'If nobody asked for it: delete the association (`aws ssm delete-association --association-id <id>`) or set ' +
      'the default back (`aws ssm update-document-default-version --name <name> --document-version <previous>`), ' +
      'then read the command output and the instances’ logs for what already ran.',
    'Treat the caller as compromised: State Manager is persistence that re-runs every time a node joins.',
  ],
  rationale:
    'ssm.document-created-outside-process sees a new document and ssm.software-installed a SendCommand; an ' +
    'association runs an existing document, often AWS-RunShellScript with the commands in its (hidden) ' +
    'parameters, on every node on a schedule and on every new node (T1651 cloud administration command, ' +
    'on a schedule), and a new default version swaps the code under associations already approved. ' +
    'Associations belong in infrastructure code, so any outside the approved process is the finding. AWS’s ' +
    'housekeeping documents (inventory, agent update, patch baseline, as Quick Setup creates) are excluded; ' +
    'AWS-owned documents that run the caller’s script are not. A call that does not name its document ' +
    '(UpdateAssociation without name and answer, oversized parameters) counts as the dangerous case. Medium, high ' +
    'on high-criticality accounts, like the document rule; one finding an hour per identity. No published ' +
    'CloudTrail record of these calls was found: the fixture follows the SSM API reference (CreateAssociation ' +
    'request and AssociationDescription) and the SendCommand records SSM writes (parameters hidden).',
  falsePositives: [
    'An administrator creating an inventory or agent association by hand with a document not in the housekeeping ' +
      'list (AmazonCloudWatch-ManageAgent, a vendor’s agent installer).',
    'Quick Setup or a third-party patching tool running under a role not yet listed as approved automation.',
  ],
  cases: () => [
    {
      name: 'AWS-RunShellScript on every node every 30 minutes',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation'),
    },
    {
      name: 'a custom Command document on tagged nodes',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture(
        'ssm/CreateAssociation',
        association({ name: 'ops-bootstrap', targets: [{ key: 'tag:Env', values: ['prod'] }] }),
      ),
    },
    {
      name: 'UpdateAssociation naming only the association and no answer recorded (document unknown: fail safe)',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation', {
        eventName: 'UpdateAssociation',
        requestParameters: {
          name: undefined,
          targets: undefined,
          scheduleExpression: undefined,
          associationName: undefined,
          associationId: '8dfe3659-4309-493a-8755-0123456789ab',
        },
        responseElements: null,
      }),
    },
    {
      name: 'a batch whose second entry runs a shell document',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation', {
        eventName: 'CreateAssociationBatch',
        requestParameters: {
          name: undefined,
          targets: undefined,
          scheduleExpression: undefined,
          associationName: undefined,
          entries: [
            { name: 'AWS-GatherSoftwareInventory', targets: [{ key: 'InstanceIds', values: ['*'] }] },
            { name: 'AWS-RunPowerShellScript', targets: [{ key: 'InstanceIds', values: ['*'] }] },
          ],
        },
        responseElements: null,
      }),
    },
    {
      name: 'a document’s default switched to a new version',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation', {
        eventName: 'UpdateDocumentDefaultVersion',
        requestParameters: {
          name: 'ops-bootstrap',
          documentVersion: '7',
          targets: undefined,
          scheduleExpression: undefined,
          associationName: undefined,
        },
        responseElements: {
          associationDescription: undefined,
          description: { name: 'ops-bootstrap', defaultVersion: '7' },
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation', denied('AccessDeniedException', 'ssm:CreateAssociation')),
    },
    {
      name: 'the approved deploy role creates it through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateAssociation', BY_APPROVED_DEPLOY),
    },
    {
      name: 'a software inventory association on every node (AWS housekeeping)',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture(
        'ssm/CreateAssociation',
        association({ name: 'AWS-GatherSoftwareInventory', targets: [{ key: 'InstanceIds', values: ['*'] }] }),
      ),
    },
  ],
};
