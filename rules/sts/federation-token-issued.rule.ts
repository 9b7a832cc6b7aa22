import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { isAdminEquivalent } from '../core/iam-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** CloudTrail logs the session policy as the JSON text the caller sent; parse it leniently. */
const sessionPolicy = (raw: unknown): unknown => {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
};

export const rule = defineRule({
  id: 'sts.federation-token-issued',
  title: 'Federation token issued to an IAM user outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1550.001', 'T1098'],
  on: { source: 'sts', eventNames: ['GetFederationToken'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const policy = sessionPolicy(param(e.requestParameters, 'policy'));
    const federated = stringParam(e.responseElements, 'federatedUser', 'arn');
    return [
      `${actorArn(e)} minted ${federated ?? 'federated credentials'}, valid ${String(param(e.requestParameters, 'durationSeconds') ?? 43_200)} s, and alive after its access key is disabled`,
      ...(policy !== undefined && isAdminEquivalent(policy)
        ? ['the session policy allows every action on every resource']
        : []),
      ...unapprovedReasons(e, ctx.config.approved),
    ];
  },
  resources: (e) => {
    const federated = stringParam(e.responseElements, 'federatedUser', 'arn');
    return federated === undefined ? [] : [federated];
  },
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An IAM user (or root) called sts:GetFederationToken outside the approved process. The federated session ' +
    'it gets lasts up to 36 hours, survives the deactivation of the access key that made it, and is the usual ' +
    'step from stolen keys to a console session (GetSigninToken).',
  runbook: [
    'Find the federated user and what it did: look up events whose userIdentity.arn is the federated-user ARN in the finding.',
    'Deactivating the key is not enough: attach an inline deny-all with `aws:TokenIssueTime` before now to the IAM user (the console\'s "Revoke active sessions" for users), then deactivate and rotate its keys.',
    'Deny sts:GetFederationToken by SCP except for the roles of the approved broker applications.',
  ],
  rationale:
    'Few organisations run federation brokers on IAM users any more; attackers call it first to persist past ' +
    'key revocation (Stratus Red Team sts-federation-token, Datadog Security Labs, CrowdStrike). One call is a ' +
    'finding. High, critical on high-criticality accounts.',
  falsePositives: [
    'A legacy federation broker running as an IAM user: list it as approved automation (by its user ARN).',
  ],
  cases: () => [
    {
      name: 'an IAM user mints a federation token with an allow-all policy',
      expect: 'match',
      event: fixture('sts/GetFederationToken'),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('sts/GetFederationToken', denied('AccessDenied', 'sts:GetFederationToken')),
    },
    {
      name: 'the approved broker',
      expect: 'no-match',
      event: fixture('sts/GetFederationToken', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'a session token is not a federation token',
      expect: 'no-match',
      event: fixture('sts/GetFederationToken', { eventName: 'GetSessionToken' }),
    },
  ],
};
