import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

// SES v1 (`identity`) and v2 (`emailIdentity`) both log under ses.amazonaws.com.
const identityOf = (e: CloudTrailRecord): string => {
  const v = findParam(e.requestParameters, ['identity', 'emailIdentity'], 1);
  return typeof v === 'string' ? v : 'unknown';
};

export const rule = defineRule({
  id: 'ses.identity-deleted',
  title: 'SES sending identity deleted outside the approved process',
  severity: 'medium',
  controls: ['A.8.16', 'A.8.9'],
  mitre: ['T1070'],
  on: { source: 'ses', eventNames: ['DeleteIdentity', 'DeleteEmailIdentity'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `SES identity ${identityOf(e)} deleted in ${e.awsRegion}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [resourceArn(e, 'ses', `identity/${identityOf(e)}`)],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${identityOf(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A verified SES identity (an address or a domain) was deleted with DeleteIdentity (v1) or DeleteEmailIdentity ' +
    '(v2) outside the approved process: after abusing SES, an intruder removes the addresses it verified to cover ' +
    'its tracks; on a production domain it also stops the application’s mail.',
  runbook: [
    'Find what the identity sent before it went: SES sending statistics and any event destinations (`aws sesv2 get-account`, CloudWatch SES metrics), and who verified it (`VerifyEmailIdentity` / `CreateEmailIdentity` events).',
    'If it was a production identity, re-create and re-verify it (`aws sesv2 create-email-identity --email-identity <identity>`), and restore its DKIM records.',
    'Treat an unexplained deletion after a burst of sending as SES abuse: revoke the credentials that made the calls.',
  ],
  rationale:
    'Sigma aws_delete_identity (Unit 42: stolen keys used for SES phishing, then identities deleted). Deleting an ' +
    'identity is rare and deliberate; outside the approved process it is a finding. Medium: it hides evidence and may ' +
    'stop mail, but exposes nothing by itself.',
  falsePositives: ['Test addresses cleaned up by hand: suppress per identity pattern with a reason.'],
  cases: () => [
    { name: 'an address identity deleted (v1)', expect: 'match', event: fixture('ses/DeleteIdentity') },
    { name: 'a domain identity deleted (v2)', expect: 'match', event: fixture('ses/DeleteEmailIdentity') },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ses/DeleteIdentity', denied('AccessDenied', 'ses:DeleteIdentity')),
    },
    {
      name: 'the approved deploy role removes it',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ses/DeleteEmailIdentity', BY_APPROVED_DEPLOY),
    },
  ],
};
