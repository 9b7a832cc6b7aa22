import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountRootArn, partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { findParam } from '../core/policy-call.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

/** The flag each call turns on: v1 sending, v2 sending, v2 production access (out of the sandbox). */
const FLAG: Readonly<Record<string, { readonly param: string; readonly what: string }>> = {
  UpdateAccountSendingEnabled: { param: 'enabled', what: 'SES sending enabled for the account (v1)' },
  PutAccountSendingAttributes: { param: 'sendingEnabled', what: 'SES sending enabled for the account (v2)' },
  PutAccountDetails: {
    param: 'productionAccessEnabled',
    what: 'SES production access requested: out of the sandbox, mail to any recipient',
  },
};

const turnedOn = (e: CloudTrailRecord): string | undefined => {
  const flag = FLAG[e.eventName];
  return flag !== undefined && isTrue(findParam(e.requestParameters, [flag.param], 1)) ? flag.what : undefined;
};

export const rule = defineRule({
  id: 'ses.sending-enabled',
  title: 'SES sending enabled or production access requested outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.9'],
  mitre: ['T1583.006', 'T1566'],
  on: { source: 'ses', eventNames: Object.keys(FLAG) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved) && turnedOn(e) !== undefined,
  explain: (e, ctx) => [
    `${turnedOn(e) ?? e.eventName} in ${e.awsRegion}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [accountRootArn(partitionOf(e.awsRegion), accountOf(e))],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|ses-sending` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Amazon SES was switched on for sending (UpdateAccountSendingEnabled, PutAccountSendingAttributes) or asked for ' +
    'production access (PutAccountDetails with productionAccessEnabled) outside the approved process: the first ' +
    'steps of using stolen credentials to send spam or phishing from the account’s reputation and domains.',
  runbook: [
    'Read the account’s SES state in that region: `aws sesv2 get-account --region <region>` (ProductionAccessEnabled, SendingEnabled, SendQuota) and the identities just verified (`aws sesv2 list-email-identities`).',
    'Unless the change is planned, pause sending: `aws sesv2 put-account-sending-attributes --no-sending-enabled --region <region>`, and withdraw a pending production-access request through AWS Support.',
    'Check sending statistics and the credentials that made the call; revoke them if unexplained.',
  ],
  rationale:
    'Unit 42 describes stolen credentials used to enable SES, verify an address and send phishing (Sigma ' +
    'aws_ses_messaging_enabled correlates UpdateAccountSendingEnabled with VerifyEmailIdentity); the enabling call is ' +
    'the rare one, so it is the finding on its own, in any region. Only calls that turn something on: disabling ' +
    'sending is not abuse. Outside the approved process; medium, high on high-criticality accounts. A record ' +
    'without parameters is treated as enabling.',
  falsePositives: ['A team onboarding SES by hand in a new region: move it to IaC or suppress per account and region.'],
  cases: () => [
    { name: 'sending re-enabled (v1)', expect: 'match', event: fixture('ses/UpdateAccountSendingEnabled') },
    { name: 'production access requested (v2)', expect: 'match', event: fixture('ses/PutAccountDetails') },
    {
      name: 'sending enabled (v2)',
      expect: 'match',
      event: fixture('ses/UpdateAccountSendingEnabled', {
        eventName: 'PutAccountSendingAttributes',
        requestParameters: { enabled: undefined, sendingEnabled: true },
      }),
    },
    {
      name: 'sending paused',
      expect: 'no-match',
      event: fixture('ses/UpdateAccountSendingEnabled', { requestParameters: { enabled: false } }),
    },
    {
      name: 'account details updated without asking for production access',
      expect: 'no-match',
      event: fixture('ses/PutAccountDetails', { requestParameters: { productionAccessEnabled: false } }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ses/UpdateAccountSendingEnabled', denied('AccessDenied', 'ses:UpdateAccountSendingEnabled')),
    },
    {
      name: 'the approved deploy role enables sending',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ses/UpdateAccountSendingEnabled', BY_APPROVED_DEPLOY),
    },
  ],
};
