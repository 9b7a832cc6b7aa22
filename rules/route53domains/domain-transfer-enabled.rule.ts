import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import { apiName, bothSpellings, domainArn, domainOf } from '../core/route53domains.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/**
 * The steps by which a registered domain leaves the account: the registrar lock comes off and the auth code is
 * read (a transfer to another registrar then happens at that registrar, with no call here), the domain is handed
 * to another AWS account, or the registration is deleted and the name released.
 */
const WHAT: Readonly<Record<string, string>> = {
  DisableDomainTransferLock:
    'transfer lock removed (clientTransferProhibited off): the domain can now be transferred out',
  RetrieveDomainAuthCode:
    'transfer authorisation code retrieved: the last step AWS sees of a transfer to another registrar',
  TransferDomainToAnotherAwsAccount: 'domain offered to another AWS account',
  DeleteDomain: 'domain registration deleted: the name goes back on the market',
};

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };

const explain = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  const facts = [`${WHAT[apiName(e)] ?? e.eventName} (${domainOf(e) ?? 'domain not recorded'})`];
  const to = stringParam(e.requestParameters, 'accountId');
  if (to !== undefined) {
    const inside = config.organization.accounts.includes(to);
    facts.push(`receiving account ${to}${inside ? ' (in the organisation)' : ' (not a known organisation account)'}`);
  }
  return facts;
};

export const rule = defineRule({
  id: 'route53domains.domain-transfer-enabled',
  title: 'Registered domain unlocked, its auth code read, transferred or deleted',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.20', 'A.5.23'],
  mitre: ['T1584.001', 'T1098'],
  on: { source: 'route53domains', eventNames: bothSpellings(Object.keys(WHAT)) },
  // No approved-process exemption: no pipeline should move a domain, and a registrar transfer cannot be undone.
  match: (e) => isSuccess(e) && !isServiceInvoked(e),
  explain: (e, ctx) => explain(e, ctx.config),
  resources: (e) => [domainArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${domainOf(e) ?? 'unknown'}|${apiName(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A domain registered through Route 53 was prepared to leave the account or left it: the transfer lock removed ' +
    '(DisableDomainTransferLock), the transfer authorisation code retrieved (RetrieveDomainAuthCode), the domain ' +
    'offered to another AWS account (TransferDomainToAnotherAwsAccount) or the registration deleted (DeleteDomain). ' +
    'Whoever holds the domain holds its mail, its certificates and every login that trusts it.',
  runbook: [
    'Put the lock back at once: `aws route53domains enable-domain-transfer-lock --region us-east-1 --domain-name <domain>`; cancel an offer to another account: `aws route53domains cancel-domain-transfer-to-another-aws-account --region us-east-1 --domain-name <domain>`.',
    'List what is in flight: `aws route53domains list-operations --region us-east-1` (TRANSFER_OUT_DOMAIN, INTERNAL_TRANSFER_OUT_DOMAIN, DELETE_DOMAIN) and `get-domain-detail` for the lock status, contacts and name servers.',
    'Warn the registrant contact: Route 53 emails it to approve or reject a transfer, and a transfer nobody rejects goes ahead on the date given. Check the contacts were not changed first (route53domains.registration-redirected).',
    'If nobody planned a transfer, treat the actor as compromised: revoke its sessions, and call AWS Support about the registrar side.',
  ],
  rationale:
    'One successful call is enough and no approved role exempts it: no deployment moves a domain, and a transfer to ' +
    'another registrar cannot be reversed from AWS once it completes (the request is made at the new registrar, so ' +
    'the lock and the auth code are the only steps CloudTrail ever shows). High, critical on high-criticality ' +
    'accounts. CloudTrail logs these actions with a lower-case first letter (`disableDomainTransferLock`); the rule ' +
    'lists both spellings. Route 53 Domains is served from us-east-1 only, so the us-east-1 forwarder carries it to ' +
    'the home region. Refused attempts are account.dangerous-action-denied. The verdict needs no request parameter; ' +
    'the domain and the receiving account are read from either recorded shape (`domainName` as a string or as ' +
    '`{ name }`) for the finding only.',
  falsePositives: [
    'A planned move to another registrar or to another account of the organisation (the finding names the receiving account): confirm with the domain owner and suppress per domain with a dated reason.',
  ],
  cases: () => [
    {
      name: 'transfer lock removed',
      expect: 'match',
      event: fixture('route53domains/DisableDomainTransferLock'),
    },
    {
      name: 'auth code retrieved',
      expect: 'match',
      event: fixture('route53domains/RetrieveDomainAuthCode'),
    },
    {
      name: 'domain offered to an account outside the organisation',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('route53domains/TransferDomainToAnotherAwsAccount'),
    },
    {
      name: 'the API spelling, with the domain as a plain string',
      expect: 'match',
      event: fixture('route53domains/DisableDomainTransferLock', {
        eventName: 'DisableDomainTransferLock',
        requestParameters: { domainName: 'example.com' },
      }),
    },
    {
      name: 'lock removal refused',
      expect: 'no-match',
      event: fixture(
        'route53domains/DisableDomainTransferLock',
        denied('AccessDeniedException', 'route53domains:DisableDomainTransferLock'),
      ),
    },
    {
      name: 'the registry refuses the transfer (TLD rules)',
      expect: 'no-match',
      event: fixture('route53domains/TransferDomainToAnotherAwsAccount', {
        errorCode: 'TLDRulesViolation',
        errorMessage: 'The top-level domain does not support this operation.',
        responseElements: null,
      }),
    },
    {
      name: 'the lock put back on',
      expect: 'no-match',
      event: fixture('route53domains/DisableDomainTransferLock', { eventName: 'enableDomainTransferLock' }),
    },
  ],
};
