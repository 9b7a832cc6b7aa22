import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { apiName, bothSpellings, domainArn, domainOf, nameServersOf } from '../core/route53domains.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** Changes to a registration that redirect the domain or whoever is asked about it, without moving it yet. */
const WHAT: Readonly<Record<string, string>> = {
  UpdateDomainNameservers: 'name servers changed: the whole domain now resolves wherever they say',
  UpdateDomainContact:
    'registrant, admin or tech contact changed (CloudTrail does not log the new contact): transfer approvals now go there',
  DisableDomainAutoRenew: 'automatic renewal turned off: the registration lapses at expiry',
};

const explain = (e: CloudTrailRecord): string[] => {
  const servers = nameServersOf(e);
  return [
    `${WHAT[apiName(e)] ?? e.eventName} (${domainOf(e) ?? 'domain not recorded'})`,
    ...(servers.length > 0 ? [`new name servers: ${servers.join(', ')}`] : []),
  ];
};

export const rule = defineRule({
  id: 'route53domains.registration-redirected',
  title: 'Registered domain redirected: name servers, contacts or renewal changed',
  severity: 'high',
  escalation: { low: 'medium', high: 'critical' },
  controls: ['A.8.20', 'A.8.9'],
  mitre: ['T1584.002', 'T1098'],
  on: { source: 'route53domains', eventNames: bothSpellings(Object.keys(WHAT)) },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [...explain(e), ...unapprovedReasons(e, ctx.config.approved)],
  resources: (e) => [domainArn(e)],
  dedup: { key: (e) => `${accountOf(e)}|${domainOf(e) ?? 'unknown'}|${apiName(e)}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A domain registered through Route 53 was changed outside the approved process so that it answers to someone ' +
    'else: its name servers replaced (UpdateDomainNameservers: DNS for the whole domain moves, with no hosted-zone ' +
    'change to see), its contacts changed (UpdateDomainContact: the transfer-approval emails go elsewhere) or its ' +
    'automatic renewal switched off (DisableDomainAutoRenew).',
  runbook: [
    'Read the registration as it is now: `aws route53domains get-domain-detail --region us-east-1 --domain-name <domain>` (name servers, contacts, auto-renew, lock).',
    'Put the name servers back to the hosted zone’s NS set (`aws route53 get-hosted-zone --id <zone>`): `aws route53domains update-domain-nameservers --region us-east-1 --domain-name <domain> --nameservers Name=<ns1> Name=<ns2> …`; restore contacts from your records (CloudTrail does not log them) and re-enable auto-renew.',
    'Check for a transfer under way (`aws route53domains list-operations --region us-east-1`) and that the transfer lock is on; a contact change before an unlock is how a domain theft starts.',
    'Find the change record. If there is none, revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'New name servers take the whole domain (web, mail, certificate validation) at the next cache expiry, and ' +
    'CloudTrail shows no hosted-zone change when it happens; new contacts receive the emails that approve or reject ' +
    'a transfer. Outside the approved process (registrations managed by IaC change through the deploy role), high, ' +
    'critical on high-criticality accounts, medium on low ones. Both spellings of the event names are listed ' +
    '(CloudTrail writes `updateDomainNameservers`), and the verdict reads no request parameter, so a record without ' +
    'them is still a finding.',
  falsePositives: [
    'Moving DNS hosting to another provider, or a contact update after staff changes, made by hand: record the change and suppress per domain with a dated reason.',
  ],
  cases: () => [
    {
      name: 'name servers pointed elsewhere',
      expect: 'match',
      event: fixture('route53domains/UpdateDomainNameservers'),
    },
    {
      name: 'contacts changed',
      expect: 'match',
      event: fixture('route53domains/UpdateDomainContact'),
    },
    {
      name: 'name server change refused',
      expect: 'no-match',
      event: fixture(
        'route53domains/UpdateDomainNameservers',
        denied('AccessDeniedException', 'route53domains:UpdateDomainNameservers'),
      ),
    },
    {
      name: 'the approved deploy role updates the name servers',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('route53domains/UpdateDomainNameservers', BY_APPROVED_DEPLOY),
    },
    {
      name: 'contact privacy turned on (not watched)',
      expect: 'no-match',
      event: fixture('route53domains/UpdateDomainContact', { eventName: 'updateDomainContactPrivacy' }),
    },
  ],
};
