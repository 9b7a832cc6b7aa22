import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isAwsOwnedDocumentName } from '../core/ssm.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** Document types whose steps run on instances or act with a role: shell, scripts, API calls. */
const RUNNABLE_TYPES: ReadonlySet<string> = new Set(['command', 'automation']);

/**
 * What kind of document the call wrote. SSM's answer (`documentDescription.documentType`) is what exists, so it
 * decides first; then the request's `documentType`; a CreateDocument naming no type makes a Command document (the
 * API default). UpdateDocument never names the type, and CloudTrail may leave out the parameters of a large
 * document: with neither answer nor request the type is unknown, which counts as runnable (fail safe).
 */
const documentTypeOf = (e: CloudTrailRecord): string | undefined => {
  const answered = stringParam(e.responseElements, 'documentDescription', 'documentType');
  if (answered !== undefined && answered !== '') return answered;
  const requested = stringParam(e.requestParameters, 'documentType');
  if (requested !== undefined && requested !== '') return requested;
  const named = stringParam(e.requestParameters, 'name');
  return e.eventName === 'CreateDocument' && named !== undefined ? 'Command' : undefined;
};

const documentNameOf = (e: CloudTrailRecord): string | undefined =>
  stringParam(e.requestParameters, 'name') ?? stringParam(e.responseElements, 'documentDescription', 'name');

const isRunnable = (e: CloudTrailRecord): boolean => {
  const type = documentTypeOf(e);
  return type === undefined || RUNNABLE_TYPES.has(type.toLowerCase());
};

export const rule = defineRule({
  id: 'ssm.document-created-outside-process',
  title: 'SSM Command or Automation document written outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.19'],
  mitre: ['T1651'],
  on: { source: 'ssm', eventNames: ['CreateDocument', 'UpdateDocument'] },
  match: (e, ctx) =>
    isRunnable(e) && !isAwsOwnedDocumentName(documentNameOf(e)) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${e.eventName} wrote ${documentTypeOf(e) ?? 'a document of unrecorded type'} document ${
      documentNameOf(e) ?? '(name not recorded)'
    } as ${e.userIdentity.arn ?? 'an unnamed caller'}`,
    ...(documentTypeOf(e) === undefined
      ? ['CloudTrail recorded neither the request nor the answer: the type is unknown, so it is treated as runnable']
      : []),
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => {
    const name = documentNameOf(e);
    return name === undefined ? [] : [resourceArn(e, 'ssm', `document/${name}`)];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${documentNameOf(e) ?? ''}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An SSM Command or Automation document was created or given a new version (CreateDocument, UpdateDocument) ' +
    'outside the approved process. Such a document is a script SSM will run on every instance it is sent to, or ' +
    'a runbook it will run with a role; when CloudTrail did not record the type (UpdateDocument never names it, ' +
    'and oversized requests are left out) the document is treated as runnable.',
  runbook: [
    'Read what the document does: `aws ssm get-document --name <name> --document-version <version>` (look for ' +
      'aws:runShellScript, aws:runPowerShellScript, aws:executeScript, aws:executeAwsApi and downloads).',
    'See whether it ran or is scheduled: `aws ssm list-commands --filters key=DocumentName,value=<name>`, ' +
      '`aws ssm list-associations --association-filter-list key=Name,value=<name>` and Automation executions.',
    'Check who may use it: `aws ssm describe-document-permission --name <name> --permission-type Share` (a ' +
      'document shared with another account is an outside way in).',
    'If nobody asked for it: delete it (`aws ssm delete-document --name <name>`), treat the caller as ' +
      'compromised, and check the instances it ran on.',
  ],
  rationale:
    'Writing a document of shell steps and running it fleet-wide is cloud administration command execution ' +
    '(T1651; Elastic "AWS SSM Command Document Created by Rare User"). Elastic learns rare creators; here the ' +
    'approved automation is the baseline: documents belong in infrastructure code, so a person writing one by hand ' +
    'is the finding. Policy, Session, Package and other non-runnable types, AWS-owned names and refused calls are ' +
    'ignored. Medium (the SendCommand that runs it is watched by ssm.software-installed); high on high-criticality ' +
    'accounts. Dedup per document for an hour, so a burst of edits pages once.',
  falsePositives: [
    'An engineer drafting a runbook by hand in a sandbox before moving it to infrastructure code.',
    'Tools that write their own documents (Quick Setup, third-party patching agents) with roles not yet listed as ' +
      'approved automation.',
  ],
  cases: () => [
    {
      name: 'a developer creates a Command document that pipes a download into bash',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateDocument'),
    },
    {
      name: 'a developer gives the Command document a new version (type only in the answer)',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/UpdateDocument'),
    },
    {
      name: 'an Automation document named by the request, no answer recorded',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateDocument', {
        requestParameters: { documentType: 'Automation' },
        responseElements: null,
      }),
    },
    {
      name: 'a new version whose answer CloudTrail did not record (type unknown: fail safe)',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/UpdateDocument', { responseElements: null }),
    },
    {
      name: 'parameters left out as too large and no answer recorded (type unknown: fail safe)',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateDocument', {
        requestParameters: {
          content: undefined,
          name: undefined,
          documentType: undefined,
          documentFormat: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
        responseElements: null,
      }),
    },
    {
      name: 'refused CreateDocument',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateDocument', denied('AccessDeniedException', 'ssm:CreateDocument')),
    },
    {
      name: 'the approved deploy role creates it through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/CreateDocument', BY_APPROVED_DEPLOY),
    },
    {
      name: 'a Session preferences document (not runnable as a script)',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/UpdateDocument', {
        requestParameters: { name: 'SSM-SessionManagerRunShell' },
        responseElements: { documentDescription: { name: 'SSM-SessionManagerRunShell', documentType: 'Session' } },
      }),
    },
    {
      name: 'AWS maintaining one of its own documents',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ssm/UpdateDocument', {
        requestParameters: { name: 'AWS-RunShellScript' },
        responseElements: { documentDescription: { name: 'AWS-RunShellScript' } },
      }),
    },
  ],
};
