import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const text = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** SSH keys the call puts on the endpoint (CreateDevEndpoint: publicKey/publicKeys; Update: addPublicKeys). */
const keysAdded = (e: CloudTrailRecord): number => {
  const v = findParam(e.requestParameters, ['publicKey', 'publicKeys', 'addPublicKeys'], 1);
  return Array.isArray(v) ? v.length : typeof v === 'string' && v !== '' ? 1 : 0;
};

/**
 * A new dev endpoint runs with the role it is given and is reached over SSH with the keys it is given: creating
 * one (or adding a key to one) hands the caller that role's credentials, whatever their own rights are.
 */
const passesRole = (e: CloudTrailRecord): boolean => e.eventName === 'CreateDevEndpoint' || keysAdded(e) > 0;

const endpointArn = (e: CloudTrailRecord): string =>
  resourceArn(e, 'glue', `devEndpoint/${text(findParam(e.requestParameters, ['endpointName'], 1)) ?? 'unknown'}`);

export const rule = defineRule({
  id: 'glue.dev-endpoint-role-passed',
  title: 'Glue dev endpoint created or SSH key added: a role handed to a shell',
  severity: 'high',
  escalation: { low: 'medium', high: 'critical' },
  controls: ['A.8.2'],
  mitre: ['T1078.004', 'T1098.004'],
  on: { source: 'glue', eventNames: ['CreateDevEndpoint', 'UpdateDevEndpoint'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && passesRole(e),
  explain: (e, ctx) => {
    const role = text(findParam(e.requestParameters, ['roleArn'], 1));
    const keys = keysAdded(e);
    return [
      e.eventName === 'CreateDevEndpoint'
        ? `dev endpoint created with role ${role ?? '(not recorded)'}`
        : 'SSH key added to an existing dev endpoint: whoever holds it gets a shell with the endpoint’s role',
      ...(keys > 0 ? [`${keys} SSH public key(s) given`] : []),
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => {
    const role = text(findParam(e.requestParameters, ['roleArn'], 1));
    return [endpointArn(e), ...(role === undefined ? [] : [role])];
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Glue development endpoint was created (CreateDevEndpoint) or given another SSH key (UpdateDevEndpoint with ' +
    'addPublicKeys) outside the approved process. The endpoint runs as the role passed to it and is reached over ' +
    'SSH: the caller gets that role’s credentials from the endpoint, the iam:PassRole privilege escalation.',
  runbook: [
    'See what the endpoint runs as: `aws glue get-dev-endpoint --endpoint-name <name>` (RoleArn, PublicKeys), and what that role may do: `aws iam list-attached-role-policies --role-name <role>`.',
    'If nobody asked for it, delete it (`aws glue delete-dev-endpoint --endpoint-name <name>`) or remove the added key (`aws glue update-dev-endpoint --endpoint-name <name> --delete-public-keys <key>`).',
    'Review what the role did since the endpoint came up (CloudTrail by the role’s session names), and who holds iam:PassRole on it.',
  ],
  rationale:
    'Glue dev endpoints are a documented privilege-escalation path (Rhino Security Labs: PassRole + CreateDevEndpoint, ' +
    'or UpdateDevEndpoint adding a key): CloudTrail records the role ARN but not what the role may do, so the rule ' +
    'does not judge the role; every endpoint created or opened to a new key outside the approved process is a finding ' +
    '(they are rare and deprecated since Glue 2.0 interactive sessions). High, critical on high-criticality accounts or ' +
    'roles (the role ARN is among the resources, so a criticality pattern on privileged roles raises it). Other ' +
    'updates (libraries, arguments) hand over no credentials and are not findings. A record without parameters is ' +
    'treated as the dangerous case.',
  falsePositives: [
    'A data engineer creating a dev endpoint by hand for debugging: move it to IaC or suppress per endpoint with a dated reason.',
  ],
  cases: () => [
    {
      name: 'dev endpoint created with a role and an SSH key',
      expect: 'match',
      event: fixture('glue/CreateDevEndpoint'),
    },
    { name: 'an SSH key added to an existing endpoint', expect: 'match', event: fixture('glue/UpdateDevEndpoint') },
    {
      name: 'endpoint libraries updated, no key',
      expect: 'no-match',
      event: fixture('glue/UpdateDevEndpoint', {
        requestParameters: {
          endpointName: 'etl-debug',
          addPublicKeys: undefined,
          customLibraries: { extraPythonLibsS3Path: 's3://example-artifacts-111122223333/libs/etl.zip' },
        },
      }),
    },
    {
      name: 'create refused (no iam:PassRole)',
      expect: 'no-match',
      event: fixture('glue/CreateDevEndpoint', denied('AccessDeniedException', 'iam:PassRole')),
    },
    {
      name: 'the approved deploy role creates it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('glue/CreateDevEndpoint', BY_APPROVED_DEPLOY),
    },
  ],
};
