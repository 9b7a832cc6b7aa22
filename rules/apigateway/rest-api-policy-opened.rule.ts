import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject, JsonValue } from '../core/cloudtrail.ts';
import { isJsonObject, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import {
  describeOpenedExposure,
  isOpenedExposure,
  orgPolicyExposure,
  parsePolicyDocument,
  statementPrincipals,
} from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const apiArn = (e: CloudTrailRecord): string => {
  const id = stringParam(e.requestParameters, 'restApiId') ?? stringParam(e.responseElements, 'id') ?? 'unknown';
  return resourceArn(e, 'apigateway', `/restapis/${id}`, '');
};

const patchOperations = (e: CloudTrailRecord): JsonObject[] => {
  const ops = findParam(e.requestParameters, ['patchOperations']);
  return Array.isArray(ops) ? ops.filter((o): o is JsonObject => isJsonObject(o)) : [];
};

/** The policy the call set: `policy` on CreateRestApi, the `/policy` patch on UpdateRestApi. */
const policyOf = (e: CloudTrailRecord): JsonValue | undefined => {
  if (e.eventName === 'CreateRestApi') return findParam(e.requestParameters, ['policy'], 1);
  const op = patchOperations(e).find((o) => o.path === '/policy' && (o.op === 'replace' || o.op === 'add'));
  return op?.value ?? undefined;
};

/** A PRIVATE endpoint switched to EDGE or REGIONAL: reachable from the internet from now on. */
const madeInternetFacing = (e: CloudTrailRecord): boolean =>
  patchOperations(e).some(
    (o) =>
      o.path === '/endpointConfiguration/types/PRIVATE' &&
      o.op === 'replace' &&
      (o.value === 'REGIONAL' || o.value === 'EDGE'),
  );

const NEGATED = /^(stringnotequals|stringnotlike|stringnotequalsignorecase|notipaddress|arnnotequals|arnnotlike)$/;
const CONFINING_KEYS = new Set([
  'aws:sourcevpce',
  'aws:sourcevpc',
  'aws:sourceip',
  'aws:principalorgid',
  'aws:principalaccount',
]);

/**
 * API Gateway's documented pattern confines an `Allow *` with a `Deny *` unless the caller comes through a VPC
 * endpoint, an IP range or the organisation (`StringNotEquals aws:SourceVpce`). The shared analysis reads Allow
 * statements only, so such a policy is recognised here first.
 */
const confinedByDeny = (policy: JsonValue | undefined): boolean => {
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return false;
  return parsed.statements.some(({ body }) => {
    if (body.Effect !== 'Deny' || !statementPrincipals(body).everyone) return false;
    const condition = body.Condition;
    if (condition === undefined || !isJsonObject(condition)) return false;
    return Object.entries(condition).some(
      ([op, keys]) =>
        NEGATED.test(op.toLowerCase()) &&
        isJsonObject(keys) &&
        Object.keys(keys).some((k) => CONFINING_KEYS.has(k.toLowerCase())),
    );
  });
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined => {
  const policy = policyOf(e);
  if (policy === undefined || confinedByDeny(policy)) return undefined;
  return orgPolicyExposure(policy, e.recipientAccountId ?? e.userIdentity.accountId ?? 'unknown', config.organization);
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const patch = (...ops: Record<string, unknown>[]) => ({
  requestParameters: { restApiId: 'a1b2c3d4e5', patchOperations: ops },
});
const policyPatch = (...statements: Record<string, unknown>[]) =>
  patch({ op: 'replace', path: '/policy', value: JSON.stringify({ Version: '2012-10-17', Statement: statements }) });

export const rule = defineRule({
  id: 'apigateway.rest-api-policy-opened',
  title: 'API Gateway REST API opened to the internet or to an account outside the org',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1190', 'T1133'],
  on: { source: 'apigateway', eventNames: ['CreateRestApi', 'UpdateRestApi'] },
  match: (e, ctx) => isSuccess(e) && (madeInternetFacing(e) || isOpenedExposure(exposureOf(e, ctx.config))),
  explain: (e, ctx) => [
    ...(madeInternetFacing(e) ? ['private endpoint changed to an internet-facing one'] : []),
    ...describeOpenedExposure(exposureOf(e, ctx.config)),
  ],
  dedup: { key: apiArn },
  resources: (e) => [apiArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A REST API got a resource policy that lets everyone invoke it without a restriction (no VPC-endpoint, IP or ' +
    'organisation condition, and no Deny that confines it), or that grants an account outside the organisation; or a ' +
    'PRIVATE API was switched to an internet-facing endpoint. Internal APIs are usually private behind exactly such a policy.',
  runbook: [
    'Read the API now: `aws apigateway get-rest-api --rest-api-id <id>` (policy and endpointConfiguration).',
    'Unless documented, restore the previous policy (`aws apigateway update-rest-api --rest-api-id <id> --patch-operations op=replace,path=/policy,value=...`) and redeploy the stage.',
    'Check the access logs of its stages for callers from outside since the change.',
  ],
  rationale:
    'Medium by default (high on high-criticality assets): many REST APIs are public on purpose and rely on ' +
    'authorisers, so an open policy is a posture change rather than a breach. API Gateway\'s "Allow * then Deny unless ' +
    'aws:SourceVpce / aws:SourceIp / aws:PrincipalOrgID" pattern is recognised as confined.',
  falsePositives: [
    'Public APIs created with an explicit Allow * policy by their owners: suppress per API with a reason.',
  ],
  cases: () => [
    { name: 'policy patched to let everyone invoke', expect: 'match', event: fixture('apigateway/UpdateRestApi') },
    {
      name: 'created with a grant to an outside account',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('apigateway/CreateRestApi'),
    },
    {
      name: 'private API made regional',
      expect: 'match',
      event: fixture(
        'apigateway/UpdateRestApi',
        patch({ op: 'replace', path: '/endpointConfiguration/types/PRIVATE', value: 'REGIONAL' }),
      ),
    },
    {
      name: 'everyone, denied unless through the VPC endpoint (private API pattern)',
      expect: 'no-match',
      event: fixture(
        'apigateway/UpdateRestApi',
        policyPatch(
          { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-0a1b2c3d4e5f60718' } },
          },
        ),
      ),
    },
    {
      name: 'API renamed',
      expect: 'no-match',
      event: fixture('apigateway/UpdateRestApi', patch({ op: 'replace', path: '/name', value: 'orders-v2' })),
    },
    {
      name: 'UpdateRestApi denied',
      expect: 'no-match',
      event: fixture('apigateway/UpdateRestApi', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: apigateway:PATCH on resource: arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5',
        responseElements: null,
      }),
    },
  ],
};
