import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { accountInArn } from '../core/policy-call.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import { describeOpenedExposure, isOpenedExposure, orgPolicyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// Lambda's CloudTrail event names carry the API version.
const EVENTS = ['AddLayerVersionPermission20181031', 'AddLayerVersionPermission'] as const;

/** `layerName` may be a name or a layer ARN. */
const layerArn = (e: CloudTrailRecord): string => {
  const name = stringParam(e.requestParameters, 'layerName') ?? 'unknown-layer';
  const version = param(e.requestParameters, 'versionNumber');
  const base = name.startsWith('arn:') ? name : resourceArn(e, 'lambda', `layer:${name}`);
  return typeof version === 'number' || typeof version === 'string' ? `${base}:${version}` : base;
};

/**
 * The statement the call wrote, rebuilt from the request the way Lambda writes it: `principal` is an account id
 * or `*`, and `organizationId` turns `*` into "every account of that organisation".
 */
const grantedStatement = (e: CloudTrailRecord): JsonObject | undefined => {
  const req = e.requestParameters;
  const principal = stringParam(req, 'principal');
  if (principal === undefined) return undefined;
  const org = stringParam(req, 'organizationId');
  return {
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: principal },
    Action: stringParam(req, 'action') ?? 'lambda:GetLayerVersion',
    Resource: layerArn(e),
    ...(org === undefined ? {} : { Condition: { StringEquals: { 'aws:PrincipalOrgID': org } } }),
  };
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined => {
  const statement = grantedStatement(e);
  const owner = accountInArn(layerArn(e)) ?? accountOf(e);
  return statement === undefined
    ? undefined
    : orgPolicyExposure({ Statement: [statement] }, owner, config.organization);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const grant = (request: Record<string, unknown>) => ({
  requestParameters: { organizationId: undefined, ...request },
  responseElements: null,
});

export const rule = defineRule({
  id: 'lambda.layer-made-public',
  title: 'Lambda layer version shared publicly or with an account outside the org',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1530', 'T1195'],
  on: { source: 'lambda', eventNames: [...EVENTS] },
  match: (e, ctx) => isSuccess(e) && isOpenedExposure(exposureOf(e, ctx.config)),
  explain: (e, ctx) => {
    const org = stringParam(e.requestParameters, 'organizationId');
    return [
      ...describeOpenedExposure(
        exposureOf(e, ctx.config),
        `statement ${stringParam(e.requestParameters, 'statementId') ?? '?'}`,
      ),
      ...(org === undefined ? [] : [`shared with organisation ${org}`]),
    ];
  },
  dedup: { key: layerArn },
  resources: (e) => [layerArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AddLayerVersionPermission let every AWS account (principal "*" without an organisation) or an account ' +
    'outside the organisation download a Lambda layer version: its code, dependencies and anything bundled in it.',
  runbook: [
    'Read the layer policy: `aws lambda get-layer-version-policy --layer-name <name> --version-number <n>`.',
    'Unless the layer is published on purpose, remove the grant: `aws lambda remove-layer-version-permission --layer-name <name> --version-number <n> --statement-id <sid>`.',
    'Assume the content was downloaded: rotate credentials or keys bundled in the layer.',
  ],
  rationale:
    'Medium by default (high on high-criticality assets): layers are code, not data, but they regularly carry ' +
    'configuration and secrets, and sharing them publicly is rarely intended outside open-source publishing. An ' +
    'organizationId that is not the configured organisation counts as outside.',
  falsePositives: ['Layers published publicly on purpose (open-source tooling): suppress per layer with a reason.'],
  cases: () => [
    {
      name: 'every AWS account may use the layer',
      expect: 'match',
      event: fixture('lambda/AddLayerVersionPermission20181031'),
    },
    {
      name: 'shared with another organisation',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'lambda/AddLayerVersionPermission20181031',
        grant({ principal: '*', organizationId: 'o-zz9y8x7w6v' }),
      ),
    },
    {
      name: 'shared with an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('lambda/AddLayerVersionPermission20181031', grant({ principal: '999988887777' })),
    },
    {
      name: 'shared with the own organisation',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'lambda/AddLayerVersionPermission20181031',
        grant({ principal: '*', organizationId: 'o-a1b2c3d4e5' }),
      ),
    },
    {
      name: 'shared with a member account',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('lambda/AddLayerVersionPermission20181031', grant({ principal: '444455556666' })),
    },
    {
      name: 'AddLayerVersionPermission denied',
      expect: 'no-match',
      event: fixture('lambda/AddLayerVersionPermission20181031', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: lambda:AddLayerVersionPermission',
        responseElements: null,
      }),
    },
  ],
};
