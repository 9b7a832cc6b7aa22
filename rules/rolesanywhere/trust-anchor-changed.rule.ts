import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const EVENTS = [
  'CreateTrustAnchor',
  'UpdateTrustAnchor',
  'EnableTrustAnchor',
  'CreateProfile',
  'UpdateProfile',
  'EnableProfile',
] as const;

const arnsOf = (e: CloudTrailRecord): string[] =>
  [
    stringParam(e.responseElements, 'trustAnchor', 'trustAnchorArn'),
    stringParam(e.responseElements, 'profile', 'profileArn'),
  ].filter((a): a is string => a !== undefined);

export const rule = defineRule({
  id: 'rolesanywhere.trust-anchor-changed',
  title: 'IAM Roles Anywhere trust anchor or profile created or changed',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1098', 'T1556'],
  on: { source: 'rolesanywhere', eventNames: EVENTS },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const roles = param(e.requestParameters, 'roleArns');
    return [
      `${e.eventName}${Array.isArray(roles) ? `: roles ${roles.map(String).join(', ')} reachable with a certificate` : ''}`,
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: arnsOf,
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|roles-anywhere` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM Roles Anywhere trust anchor or profile was created, changed or enabled outside the approved process. ' +
    'A trust anchor is a certificate authority: whoever holds a certificate it signed assumes the roles of a ' +
    'profile from anywhere, with no IAM user and no key to revoke.',
  runbook: [
    'List anchors and profiles: `aws rolesanywhere list-trust-anchors`, `aws rolesanywhere list-profiles`; read the CA of the new anchor.',
    'If unplanned, disable it (`aws rolesanywhere disable-trust-anchor --trust-anchor-id <id>`), then delete anchor and profile.',
    'Review CreateSession / AssumeRole calls by rolesanywhere.amazonaws.com since the change, and the roles the profile names.',
  ],
  rationale:
    'Adding a trust anchor is persistence that survives every credential rotation (Stratus Red Team ' +
    'rolesanywhere-create-trust-anchor). Changes outside the approved process are findings on the first call. ' +
    'High, critical on high-criticality accounts.',
  falsePositives: ['A PKI team onboarding a new CA by hand: do it through the pipeline.'],
  cases: () => [
    { name: 'trust anchor created', expect: 'match', event: fixture('rolesanywhere/CreateTrustAnchor') },
    { name: 'profile naming an admin role created', expect: 'match', event: fixture('rolesanywhere/CreateProfile') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'rolesanywhere/CreateTrustAnchor',
        denied('AccessDeniedException', 'rolesanywhere:CreateTrustAnchor'),
      ),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('rolesanywhere/CreateTrustAnchor', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'disabling an anchor',
      expect: 'no-match',
      event: fixture('rolesanywhere/CreateTrustAnchor', { eventName: 'DisableTrustAnchor' }),
    },
  ],
};
