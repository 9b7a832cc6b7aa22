import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { PolicyExposure } from '../core/resource-policy.ts';
import {
  describeOpenedExposure,
  isOpenedExposure,
  orgPolicyExposure,
  parsePolicyDocument,
} from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

// Lambda's CloudTrail event names carry the API version they were made through.
const ADD_PERMISSION = ['AddPermission20150331', 'AddPermission20150331v2'] as const;
const FUNCTION_URL = ['CreateFunctionUrlConfig20211031', 'UpdateFunctionUrlConfig20211031'] as const;

const isFunctionUrl = (e: CloudTrailRecord): boolean => e.eventName.includes('FunctionUrlConfig');

/** `functionName` may be a name, a full ARN or a partial one (`111122223333:function:name`). */
const functionArn = (e: CloudTrailRecord): string => {
  const returned = stringParam(e.responseElements, 'functionArn');
  if (returned !== undefined) return returned;
  const name = stringParam(e.requestParameters, 'functionName') ?? 'unknown-function';
  if (name.startsWith('arn:')) return name;
  const partial = /^(\d{12}):function:(.+)$/.exec(name);
  const [account, fn] = partial ? [partial[1], partial[2]] : [accountOf(e), name];
  return resourceArn(e, 'lambda', `function:${fn}`, account);
};

/**
 * The statement AddPermission wrote. Lambda returns it (a JSON string) in responseElements.statement; when it is
 * missing, rebuild it from the request the way Lambda does.
 */
const addedStatement = (e: CloudTrailRecord): JsonObject | undefined => {
  const returned = stringParam(e.responseElements, 'statement');
  if (returned !== undefined) {
    const parsed = parsePolicyDocument(`{"Statement":${returned}}`);
    if (parsed.ok && parsed.statements[0] !== undefined) return parsed.statements[0].body;
  }
  const req = e.requestParameters;
  const principal = stringParam(req, 'principal');
  if (principal === undefined) return undefined;
  const isAccount = /^\d{12}$/.test(principal) || principal.startsWith('arn:');
  const condition: Record<string, Record<string, string>> = {};
  const add = (operator: string, key: string, value: string | undefined) => {
    if (value !== undefined) condition[operator] = { ...condition[operator], [key]: value };
  };
  add('ArnLike', 'AWS:SourceArn', stringParam(req, 'sourceArn'));
  add('StringEquals', 'AWS:SourceAccount', stringParam(req, 'sourceAccount'));
  add('StringEquals', 'aws:PrincipalOrgID', stringParam(req, 'principalOrgID'));
  add('StringEquals', 'lambda:FunctionUrlAuthType', stringParam(req, 'functionUrlAuthType'));
  return {
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : isAccount ? { AWS: principal } : { Service: principal },
    Action: stringParam(req, 'action') ?? 'lambda:InvokeFunction',
    Resource: functionArn(e),
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
};

const exposureOf = (e: CloudTrailRecord, config: DetectionConfig): PolicyExposure | undefined => {
  const statement = addedStatement(e);
  return statement === undefined
    ? undefined
    : orgPolicyExposure({ Statement: [statement] }, accountOf(e), config.organization);
};

/**
 * AddPermission recorded with neither the statement Lambda returns nor the principal it was given (a truncated or
 * rewritten record): who may now invoke the function is not known, so it counts as the dangerous case.
 */
const grantUnreadable = (e: CloudTrailRecord): boolean => !isFunctionUrl(e) && addedStatement(e) === undefined;

const isPublicUrl = (e: CloudTrailRecord): boolean =>
  isFunctionUrl(e) && stringParam(e.requestParameters, 'authType')?.toUpperCase() === 'NONE';

/** For the finding: the public URL, or the statement that opened the function and the outside accounts. */
const explainOpening = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  if (isFunctionUrl(e)) {
    const url = stringParam(e.responseElements, 'functionUrl');
    return isPublicUrl(e) ? [`function URL with AuthType NONE${url === undefined ? '' : `: ${url}`}`] : [];
  }
  if (grantUnreadable(e)) {
    return [
      'the record carries no principal and no returned statement: the grantee is not known, so the call is treated as public',
    ];
  }
  const x = exposureOf(e, config);
  if (!isOpenedExposure(x)) return [];
  const statement = stringParam(e.requestParameters, 'statementId') ?? x.statements.join(', ');
  const principal = stringParam(e.requestParameters, 'principal');
  return describeOpenedExposure(
    x,
    `statement ${statement}${principal === undefined ? '' : ` (principal ${principal})`}`,
  );
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const fn = 'arn:aws:lambda:eu-west-1:111122223333:function:orders-webhook';
/** An AddPermission record for these request parameters, with the statement Lambda would return. */
const permission = (request: Record<string, string>, statement: Record<string, unknown>) => ({
  requestParameters: { statementId: 'public-invoke', action: 'lambda:InvokeFunction', ...request },
  responseElements: {
    statement: JSON.stringify({
      Sid: 'public-invoke',
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: fn,
      ...statement,
    }),
  },
});

export const rule = defineRule({
  id: 'lambda.function-made-public',
  title: 'Lambda function made public or invocable from outside the organisation',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23'],
  mitre: ['T1098', 'T1648'],
  on: { source: 'lambda', eventNames: [...ADD_PERMISSION, ...FUNCTION_URL] },
  match: (e, ctx) =>
    isSuccess(e) &&
    (isFunctionUrl(e) ? isPublicUrl(e) : grantUnreadable(e) || isOpenedExposure(exposureOf(e, ctx.config))),
  explain: (e, ctx) => explainOpening(e, ctx.config),
  dedup: { key: functionArn },
  resources: (e) => [functionArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'AddPermission let everyone invoke a Lambda function (principal "*" with no SourceArn, SourceAccount or ' +
    'PrincipalOrgID holding it) or granted an account outside the organisation, or a function URL was created or ' +
    'changed with AuthType NONE (no IAM authentication in front of the function).',
  runbook: [
    "Read the function's resource policy and URL: `aws lambda get-policy --function-name <name>` and `aws lambda get-function-url-config --function-name <name>`.",
    'Unless the function is meant to be public (a webhook receiver with its own authentication), remove the grant: `aws lambda remove-permission --function-name <name> --statement-id <sid>`, and switch the URL to IAM auth (`aws lambda update-function-url-config --function-name <name> --auth-type AWS_IAM`) or delete it (`aws lambda delete-function-url-config --function-name <name>`).',
    "Judge the blast radius: what the function's execution role may do (`aws lambda get-function-configuration --function-name <name> --query Role`, then the role's policies). Anyone who can invoke it can make it do exactly that, with any input.",
    "Look for invocations from outside in the exposure window: the function's CloudWatch logs and, for URLs, request logs; CloudTrail Invoke data events if enabled.",
    'If the actor is not the function owner or the approved deploy role, review their other calls: a public invoke permission is a known persistence backdoor.',
  ],
  rationale:
    'One successful call is enough, with no threshold: the function is invocable by the grantee at once, with ' +
    'whatever its execution role may do. High by default, critical on high-criticality assets. Permissions for ' +
    'AWS services held to your own resources (aws:SourceArn/SourceAccount) or to the organisation are not matched, ' +
    'nor are grants to organisation members. "Outside the organisation" means an account that is neither the ' +
    "function's own nor in organization.accounts; with that list empty, every other account counts as outside. A " +
    'function URL with AuthType NONE matches on create and on an update that sets NONE, even though Lambda also ' +
    'needs a public lambda:InvokeFunctionUrl permission (which this rule matches too): the intent to expose is ' +
    'the finding. A record that names neither the principal nor the returned statement cannot be judged and is ' +
    'treated as public (fail closed).',
  falsePositives: [
    'Webhook receivers and public APIs deliberately built on function URLs with their own authentication (signature checks): suppress per function with a reason.',
    'Grants to sister accounts while organization.accounts is empty or out of date.',
  ],
  cases: () => [
    { name: 'anyone may invoke (principal "*")', expect: 'match', event: fixture('lambda/AddPermission20150331v2') },
    {
      name: 'anyone may invoke, through the older API version',
      expect: 'match',
      event: fixture('lambda/AddPermission20150331v2', { eventName: 'AddPermission20150331' }),
    },
    {
      name: 'public invoke on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('lambda/AddPermission20150331v2'),
    },
    {
      name: 'anyone may invoke, statement missing from the response',
      expect: 'match',
      event: fixture('lambda/AddPermission20150331v2', { responseElements: null }),
    },
    {
      name: "neither principal nor statement recorded (Panther's test record): fail closed",
      expect: 'match',
      event: fixture('lambda/AddPermission20150331-panther'),
    },
    {
      name: 'public function URL permission (principal "*", FunctionUrlAuthType NONE)',
      expect: 'match',
      event: fixture(
        'lambda/AddPermission20150331v2',
        permission(
          { action: 'lambda:InvokeFunctionUrl', principal: '*', functionUrlAuthType: 'NONE' },
          {
            Action: 'lambda:InvokeFunctionUrl',
            Principal: '*',
            Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } },
          },
        ),
      ),
    },
    {
      name: 'an outside account may invoke',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'lambda/AddPermission20150331v2',
        permission({ principal: '999988887777' }, { Principal: { AWS: 'arn:aws:iam::999988887777:root' } }),
      ),
    },
    {
      name: 'API Gateway of the own account may invoke (SourceArn)',
      expect: 'no-match',
      event: fixture(
        'lambda/AddPermission20150331v2',
        permission(
          {
            principal: 'apigateway.amazonaws.com',
            sourceArn: 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/*/POST/orders',
          },
          {
            Principal: { Service: 'apigateway.amazonaws.com' },
            Condition: {
              ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3d4e5/*/POST/orders' },
            },
          },
        ),
      ),
    },
    {
      name: 'principal "*" held to the organisation (PrincipalOrgID)',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'lambda/AddPermission20150331v2',
        permission(
          { principal: '*', principalOrgID: 'o-a1b2c3d4e5' },
          { Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } },
        ),
      ),
    },
    {
      name: 'S3 bucket of the own account may invoke, statement missing from the response',
      expect: 'no-match',
      event: fixture('lambda/AddPermission20150331v2', {
        requestParameters: {
          principal: 's3.amazonaws.com',
          sourceArn: 'arn:aws:s3:::example-invoices',
          sourceAccount: '111122223333',
        },
        responseElements: null,
      }),
    },
    {
      name: 'AddPermission denied',
      expect: 'no-match',
      event: fixture('lambda/AddPermission20150331v2', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:iam::111122223333:user/alice is not authorized to perform: lambda:AddPermission on resource: arn:aws:lambda:eu-west-1:111122223333:function:orders-webhook because no identity-based policy allows the lambda:AddPermission action',
        responseElements: null,
      }),
    },
    {
      name: 'function URL created with AuthType NONE',
      expect: 'match',
      event: fixture('lambda/CreateFunctionUrlConfig20211031'),
    },
    {
      name: 'function URL switched to AuthType NONE',
      expect: 'match',
      event: fixture('lambda/CreateFunctionUrlConfig20211031', {
        eventName: 'UpdateFunctionUrlConfig20211031',
        responseElements: { creationTime: undefined, lastModifiedTime: '2026-11-02T16:04:38.512931Z' },
      }),
    },
    {
      name: 'function URL created with IAM auth',
      expect: 'no-match',
      event: fixture('lambda/CreateFunctionUrlConfig20211031', {
        requestParameters: { authType: 'AWS_IAM' },
        responseElements: { authType: 'AWS_IAM' },
      }),
    },
    {
      name: 'function URL CORS update that leaves the auth type alone',
      expect: 'no-match',
      event: fixture('lambda/CreateFunctionUrlConfig20211031', {
        eventName: 'UpdateFunctionUrlConfig20211031',
        requestParameters: { authType: undefined, cors: { allowOrigins: ['https://shop.example.com'] } },
      }),
    },
    {
      name: 'function URL refused',
      expect: 'no-match',
      event: fixture('lambda/CreateFunctionUrlConfig20211031', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: lambda:CreateFunctionUrlConfig on resource: arn:aws:lambda:eu-west-1:111122223333:function:orders-webhook',
        responseElements: null,
      }),
    },
  ],
};
