import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const SAML = ['CreateSAMLProvider', 'UpdateSAMLProvider', 'DeleteSAMLProvider'] as const;
const OIDC = [
  'CreateOpenIDConnectProvider',
  'AddClientIDToOpenIDConnectProvider',
  'RemoveClientIDFromOpenIDConnectProvider',
  'UpdateOpenIDConnectProviderThumbprint',
  'DeleteOpenIDConnectProvider',
] as const;

/** The provider's ARN: in the request for updates, in the response for creates, else built from its name or URL. */
const providerArn = (e: CloudTrailRecord): string => {
  const named =
    stringParam(e.requestParameters, 'sAMLProviderArn') ??
    stringParam(e.requestParameters, 'openIDConnectProviderArn') ??
    stringParam(e.responseElements, 'sAMLProviderArn') ??
    stringParam(e.responseElements, 'openIDConnectProviderArn');
  if (named !== undefined) return named;
  const prefix = `arn:${partitionOf(e.awsRegion)}:iam::${accountOf(e)}`;
  if (e.eventName.includes('SAML'))
    return `${prefix}:saml-provider/${stringParam(e.requestParameters, 'name') ?? 'unknown'}`;
  const url = stringParam(e.requestParameters, 'url')?.replace(/^https:\/\//, '') ?? 'unknown';
  return `${prefix}:oidc-provider/${url}`;
};

/** What changed, for the finding: the issuer the metadata now trusts, the audience added, the URL. */
const whatChanged = (e: CloudTrailRecord): string[] => {
  const metadata = stringParam(e.requestParameters, 'sAMLMetadataDocument');
  const entity = metadata === undefined ? undefined : /entityID="([^"]+)"/.exec(metadata)?.[1];
  const client = stringParam(e.requestParameters, 'clientID');
  const url = stringParam(e.requestParameters, 'url');
  return [
    `${e.eventName} on ${providerArn(e)}`,
    ...(entity === undefined ? [] : [`SAML metadata now trusts issuer ${entity}`]),
    ...(client === undefined ? [] : [`audience (client id) ${client}`]),
    ...(url === undefined ? [] : [`issuer URL ${url}`]),
  ];
};

const viaDeployRole = () => ({
  userIdentity: fixture('iam/AttachRolePolicy-cloudformation').userIdentity,
  sourceIPAddress: 'cloudformation.amazonaws.com',
  userAgent: 'cloudformation.amazonaws.com',
  tlsDetails: undefined,
});

export const rule = defineRule({
  id: 'iam.identity-provider-changed',
  title: 'SAML or OIDC identity provider changed outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1484.002', 'T1556.007', 'T1098'],
  on: { source: 'iam', eventNames: [...SAML, ...OIDC] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [...whatChanged(e), ...unapprovedReasons(e, ctx.config.approved)],
  dedup: { key: providerArn },
  resources: (e) => [providerArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM SAML or OpenID Connect identity provider was created, had its metadata, audiences or thumbprints ' +
    'changed, or was deleted, by someone other than the approved automation. Whoever controls a trusted identity ' +
    'provider can mint sign-ins to every role that trusts it (a "golden SAML"-style backdoor); a new OIDC provider ' +
    'such as GitHub Actions lets outside workflows assume roles.',
  runbook: [
    'Read the provider: `aws iam get-saml-provider --saml-provider-arn <arn>` (the issuer in its metadata) or `aws iam get-open-id-connect-provider --open-id-connect-provider-arn <arn>` (URL, audiences, thumbprints).',
    'List roles that trust it: search trust policies for the provider ARN (`aws iam list-roles`), and their recent AssumeRoleWithSAML / AssumeRoleWithWebIdentity calls.',
    'Unless a change record explains it, restore the previous metadata or delete the provider, and revoke sessions of roles that trust it.',
  ],
  rationale:
    'One successful call outside the approved process is enough: trust in an identity provider is the highest ' +
    'privilege in the account, granted without any IAM policy change. High, critical on high-criticality assets. ' +
    'Deletions are included: removing the corporate IdP is a denial of access and often precedes replacing it.',
  falsePositives: [
    'Certificate rotations of the corporate IdP made by hand: route them through the approved role, or suppress that provider for the rotation window.',
  ],
  cases: () => [
    { name: 'SAML provider created by hand', expect: 'match', event: fixture('iam/CreateSAMLProvider') },
    { name: 'SAML metadata replaced with another issuer', expect: 'match', event: fixture('iam/UpdateSAMLProvider') },
    {
      name: 'GitHub OIDC provider created by hand',
      expect: 'match',
      event: fixture('iam/CreateOpenIDConnectProvider'),
    },
    {
      name: 'audience added to an OIDC provider',
      expect: 'match',
      event: fixture('iam/AddClientIDToOpenIDConnectProvider'),
    },
    {
      name: 'provider created by the approved deploy role through CloudFormation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('iam/CreateOpenIDConnectProvider', viaDeployRole()),
    },
    {
      name: 'CreateSAMLProvider denied',
      expect: 'no-match',
      event: fixture('iam/CreateSAMLProvider', {
        errorCode: 'AccessDenied',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: iam:CreateSAMLProvider on resource: arn:aws:iam::111122223333:saml-provider/okta-prod',
        responseElements: null,
      }),
    },
  ],
};
