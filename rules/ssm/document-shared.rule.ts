import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isOutsideOrganization, stringsOf } from '../core/resource-policy.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };

/**
 * The accounts a ModifyDocumentPermission call adds. `All` (any spelling: the CLI example writes `All`, Turbot's
 * query looks for `all`) makes the document public. Undefined when the record carries neither list, so nobody
 * can tell what the call did: judged as shared publicly.
 */
const addedAccounts = (e: CloudTrailRecord): string[] | undefined => {
  const p = e.requestParameters;
  const add = param(p, 'accountIdsToAdd');
  if (add !== undefined && add !== null) return stringsOf(add);
  return param(p, 'accountIdsToRemove') === undefined ? undefined : [];
};

const isPublic = (ids: readonly string[]): boolean => ids.some((id) => id.toLowerCase() === 'all');

/** The grantees that make the call a finding: `All`, or accounts outside the organisation. */
const strangers = (e: CloudTrailRecord, ctx: RuleContext): string[] | undefined => {
  const ids = addedAccounts(e);
  if (ids === undefined) return undefined;
  return ids.filter(
    (id) => id.toLowerCase() === 'all' || isOutsideOrganization(id, accountOf(e), ctx.config.organization),
  );
};

const documentArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'ssm', `document/${stringParam(e.requestParameters, 'name') ?? 'unknown'}`);

export const rule = defineRule({
  id: 'ssm.document-shared',
  title: 'SSM document shared publicly or with an account outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1537'],
  on: { source: 'ssm', eventNames: ['ModifyDocumentPermission'] },
  // No approved-process exemption: sharing inside the organisation is not a finding, and no deploy publishes a document.
  match: (e, ctx) => {
    if (!isSuccess(e) || isServiceInvoked(e)) return false;
    const who = strangers(e, ctx);
    return who === undefined || who.length > 0;
  },
  explain: (e, ctx) => {
    const who = strangers(e, ctx);
    const name = stringParam(e.requestParameters, 'name') ?? '(name not recorded)';
    if (who === undefined) {
      return [
        `${actorArn(e)} changed the sharing of document ${name}; the record names no accounts, so it is treated as shared publicly`,
      ];
    }
    return [
      isPublic(who)
        ? `${actorArn(e)} made document ${name} public (accountIdsToAdd: All): any AWS account can read and run it`
        : `${actorArn(e)} shared document ${name} with ${who.join(', ')}, outside organization.accounts`,
      ...(stringParam(e.requestParameters, 'sharedDocumentVersion') === undefined
        ? []
        : [`shared version: ${stringParam(e.requestParameters, 'sharedDocumentVersion')}`]),
    ];
  },
  resources: (e) => [documentArn(e)],
  dedup: { key: (e) => documentArn(e), windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Systems Manager document was shared (ModifyDocumentPermission) with every AWS account (`All`) or with an ' +
    "account that is neither this account nor in organization.accounts. Documents carry the organisation's run " +
    'books and scripts, often with bucket names, endpoints and embedded credentials; a public one can be found and ' +
    'read by anyone, and a shared one run by the other account against its own instances.',
  runbook: [
    'Withdraw the share: `aws ssm modify-document-permission --name <document> --permission-type Share ' +
      '--account-ids-to-remove All` (or the account ids in the finding).',
    'Read the document version that was shared (`aws ssm get-document --name <document> --document-version ' +
      '<version>`): rotate any credential, token or private endpoint it names, as it is now disclosed.',
    'Turn on the account-level block: `aws ssm update-service-setting --setting-id ' +
      '/ssm/documents/console/public-sharing-permission --setting-value Disable`, and review the actor.',
  ],
  rationale:
    'Turbot tailpipe flags documents made public (accountIdsToAdd contains `all`); sharing with a stranger account ' +
    'leaks the same content, so both are judged against the organisation the S3 and KMS rules use. Disclosure ' +
    'of scripts and the secrets in them (T1537, data moved to another cloud account): high, critical on ' +
    'high-criticality accounts. Sharing inside the organisation is how shared automation works and is not a finding; ' +
    'a record whose account lists were not recorded fails closed.',
  falsePositives: [
    'A document deliberately published for customers or partners: suppress the rule for that document with a dated reason.',
  ],
  cases: () => [
    {
      name: 'document made public',
      expect: 'match',
      event: fixture('ssm/ModifyDocumentPermission-public'),
      config: ORGANIZATION,
    },
    {
      name: 'public in lower case, as Turbot spells it',
      expect: 'match',
      event: fixture('ssm/ModifyDocumentPermission-public', { requestParameters: { accountIdsToAdd: ['all'] } }),
      config: ORGANIZATION,
    },
    {
      name: 'shared with an account outside the organisation',
      expect: 'match',
      event: fixture('ssm/ModifyDocumentPermission-public', {
        requestParameters: { accountIdsToAdd: ['444455556666', '999988887777'] },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'account lists not recorded (fails closed)',
      expect: 'match',
      event: fixture('ssm/ModifyDocumentPermission-public', { requestParameters: { accountIdsToAdd: undefined } }),
      config: ORGANIZATION,
    },
    {
      name: 'shared with a member account',
      expect: 'no-match',
      event: fixture('ssm/ModifyDocumentPermission-public', {
        requestParameters: { accountIdsToAdd: ['444455556666'] },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'public share withdrawn',
      expect: 'no-match',
      event: fixture('ssm/ModifyDocumentPermission-public', {
        requestParameters: { accountIdsToAdd: undefined, accountIdsToRemove: ['All'] },
      }),
      config: ORGANIZATION,
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ssm/ModifyDocumentPermission-public',
        denied('AccessDeniedException', 'ssm:ModifyDocumentPermission'),
      ),
      config: ORGANIZATION,
    },
  ],
};
