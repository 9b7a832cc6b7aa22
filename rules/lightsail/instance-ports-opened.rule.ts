import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, parametersNotRecorded, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { IngressRule } from '../core/network.ts';
import { describeIngressRule, ingressRulesFromRequest, isWholeInternet, sensitivePortsIn } from '../core/network.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** The ports this call opens to the whole internet that carry an admin, remote-access or database service. */
const worldOpenSensitive = (e: CloudTrailRecord): IngressRule[] =>
  ingressRulesFromRequest(e.eventName, e.requestParameters).filter(
    (r) => isWholeInternet(r.cidr) && sensitivePortsIn(r).length > 0,
  );

const instanceOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'instanceName');

/** Overrides merge into the fixture, so the fixture's sources are cleared first. */
const port = (p: Record<string, unknown>) => ({
  requestParameters: { portInfo: { cidrs: undefined, ipv6Cidrs: undefined, ...p } },
});

export const rule = defineRule({
  id: 'lightsail.instance-ports-opened',
  title: 'Lightsail instance firewall opened to the internet on an admin or database port',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.5.23'],
  mitre: ['T1562.007', 'T1133'],
  on: { source: 'lightsail', eventNames: ['OpenInstancePublicPorts', 'PutInstancePublicPorts'] },
  // Fail safe: a call whose ports CloudTrail left out may have opened anything.
  match: (e) => isSuccess(e) && (parametersNotRecorded(e) || worldOpenSensitive(e).length > 0),
  explain: (e) => [
    `${e.eventName} on Lightsail instance ${instanceOf(e) ?? '(name not recorded)'}: ${
      worldOpenSensitive(e)
        .map((r) => describeIngressRule(r))
        .join('; ') || 'ports not recorded'
    }`,
  ],
  resources: (e) => {
    const name = instanceOf(e);
    return name === undefined ? [] : [resourceArn(e, 'lightsail', `Instance/${name}`)];
  },
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${instanceOf(e) ?? principalArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Lightsail instance’s firewall now admits 0.0.0.0/0 or ::/0 on an admin, remote-access or database port ' +
    '(SSH 22, RDP 3389, MySQL 3306, PostgreSQL 5432, Redis 6379, …, or all traffic): OpenInstancePublicPorts adds ' +
    'one rule (`portInfo`), PutInstancePublicPorts replaces them all (`portInfos`). Lightsail instances sit ' +
    'outside the VPC security groups, so ec2.ingress-open-to-internet never sees them.',
  runbook: [
    'See what is open now: `aws lightsail get-instance-port-states --instance-name <name> --region <region>`.',
    'Unless the exposure is intended, close it: `aws lightsail close-instance-public-ports --instance-name <name> ' +
      '--port-info fromPort=<port>,toPort=<port>,protocol=<tcp|udp|all>`; for SSH and RDP prefer the ' +
      '`lightsail-connect` alias (the console’s browser client) or a named address range.',
    'Review the instance’s auth and database logs for the exposure window; check who else called Lightsail ' +
      '(GetInstanceAccessDetails, DownloadDefaultKeyPair: lightsail.instance-credentials-retrieved).',
  ],
  rationale:
    'The Lightsail twin of ec2.ingress-open-to-internet, built on the same helpers (whole-internet CIDRs of any ' +
    'spelling, the sensitive-port table, port ranges and all-traffic widened to what they cover). It judges the ' +
    'sensitive ports only, not every non-web port: Lightsail images ship with their own application ports open ' +
    '(Plesk, cPanel, game servers). Medium, high on high-criticality accounts, below the EC2 rule: new Lightsail ' +
    'instances already have SSH open to everyone by default, so re-opening it is often a person restoring the ' +
    'default, while a database port opened to the world is the finding that matters. Like the EC2 rule it ' +
    'matches approved automation too (who may change the firewall is not whether the exposure is acceptable). ' +
    'A port naming no source at all is read as open to every address, and a call whose ports CloudTrail did not ' +
    'record matches (fail safe). No published CloudTrail record of these calls was found: the fixture follows the ' +
    'Lightsail API reference (PortInfo) and the CLI reference examples.',
  falsePositives: [
    'SSH left open to the world as Lightsail’s default on a throwaway instance: suppress per instance with a reason.',
    'PutInstancePublicPorts restating an SSH rule that was already open (it replaces the whole list).',
  ],
  cases: () => [
    {
      name: 'MySQL 3306 opened to 0.0.0.0/0 and ::/0',
      expect: 'match',
      event: fixture('lightsail/OpenInstancePublicPorts'),
    },
    {
      name: 'RDP opened to ::/0 only (upper-case protocol, as the CLI reference writes it)',
      expect: 'match',
      event: fixture(
        'lightsail/OpenInstancePublicPorts',
        port({ fromPort: 3389, toPort: 3389, protocol: 'TCP', cidrs: [], ipv6Cidrs: ['::/0'] }),
      ),
    },
    {
      name: 'SSH opened with no source named (read as open to everyone)',
      expect: 'match',
      event: fixture('lightsail/OpenInstancePublicPorts', port({ fromPort: 22, toPort: 22, protocol: 'tcp' })),
    },
    {
      name: 'PutInstancePublicPorts replacing the list with HTTPS and all traffic from anywhere',
      expect: 'match',
      event: fixture('lightsail/OpenInstancePublicPorts', {
        eventName: 'PutInstancePublicPorts',
        requestParameters: {
          portInfo: undefined,
          portInfos: [
            { fromPort: 443, toPort: 443, protocol: 'tcp', cidrs: ['0.0.0.0/0'] },
            { fromPort: 0, toPort: 65535, protocol: 'all', cidrs: ['0.0.0.0/0'] },
          ],
        },
      }),
    },
    {
      name: 'ports left out as too large (fail safe)',
      expect: 'match',
      event: fixture('lightsail/OpenInstancePublicPorts', {
        requestParameters: {
          portInfo: undefined,
          instanceName: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
      }),
    },
    {
      name: 'the approved automation opens a database port to the world (still an exposure)',
      expect: 'match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('lightsail/OpenInstancePublicPorts', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'lightsail/OpenInstancePublicPorts',
        denied('AccessDeniedException', 'lightsail:OpenInstancePublicPorts'),
      ),
    },
    {
      name: 'HTTPS 443 to the world (public by design)',
      expect: 'no-match',
      event: fixture(
        'lightsail/OpenInstancePublicPorts',
        port({ fromPort: 443, toPort: 443, protocol: 'tcp', cidrs: ['0.0.0.0/0'], ipv6Cidrs: ['::/0'] }),
      ),
    },
    {
      name: 'SSH for the console’s browser client only (lightsail-connect alias)',
      expect: 'no-match',
      event: fixture(
        'lightsail/OpenInstancePublicPorts',
        port({ fromPort: 22, toPort: 22, protocol: 'tcp', cidrListAliases: ['lightsail-connect'] }),
      ),
    },
    {
      name: 'PostgreSQL for one office range',
      expect: 'no-match',
      event: fixture(
        'lightsail/OpenInstancePublicPorts',
        port({ fromPort: 5432, toPort: 5432, protocol: 'tcp', cidrs: ['198.51.100.0/24'] }),
      ),
    },
  ],
};
