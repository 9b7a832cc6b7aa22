import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { HistoryView } from '../core/history.ts';
import { isNewAfterLearning } from '../core/history.ts';
import { dailyBefore } from '../core/prepare.ts';
import { isServiceUserName, networkOf } from '../core/signin.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedValues } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';

/** A key must have been watched this long before a new network means anything. */
export const LEARNING_DAYS = 14;
/** Networks are remembered this long: a pipeline's egress changes rarely; 90 days spans a quarterly job. */
export const REMEMBER_DAYS = 90;

/** Long-lived IAM user access keys start with AKIA; session keys (ASIA) are short-lived and change every session. */
const longLivedKey = (e: CloudTrailRecord): string | undefined => {
  const key = e.userIdentity.accessKeyId;
  return typeof key === 'string' && key.startsWith('AKIA') ? key : undefined;
};

const keyOf = (e: CloudTrailRecord): string => `${accountOf(e)}|${longLivedKey(e) ?? 'no-key'}`;

const isNewNetwork = (network: string, atMs: number, history: HistoryView | undefined): boolean =>
  isNewAfterLearning(network, atMs, history, LEARNING_DAYS);

const SERVICE_USERS = { serviceUsers: ['svc-*'] };
/** History as of the fixture's time (a function, so the Lambda bundle drops it with the cases). */
const known = (firstDaysAgo: number, networks: readonly string[]) =>
  rememberedValues(Date.parse('2026-11-02T23:05:48Z'), firstDaysAgo, networks);

export const rule = defineRule({
  id: 'iam.service-key-new-network',
  title: "Service user's long-lived access key used from a network it never used",
  severity: 'high',
  controls: ['A.8.2', 'A.8.16'],
  mitre: ['T1078.004'],
  // Every call made with an IAM user's keys, whatever the service: stolen keys are tried on anything.
  on: { source: '*', eventNames: '*', where: { userIdentityType: ['IAMUser'] } },
  history: {
    key: keyOf,
    // Every network a long-lived key is seen from, denied calls included: where the pipeline runs is known by use.
    remember: (e) => (longLivedKey(e) === undefined ? undefined : networkOf(e.sourceIPAddress)),
    retainSeconds: REMEMBER_DAYS * 86_400,
    distinctValues: true,
  },
  match: (e, ctx) => {
    const network = networkOf(e.sourceIPAddress);
    return (
      longLivedKey(e) !== undefined &&
      isServiceUserName(e.userIdentity.userName, ctx.config.serviceUsers) &&
      network !== undefined &&
      isNewNetwork(network, Date.parse(e.eventTime), ctx.history)
    );
  },
  explain: (e, ctx) => [
    `key ${longLivedKey(e) ?? 'unknown'} of ${e.userIdentity.userName ?? 'unknown'} used from ${e.sourceIPAddress ?? 'unknown'} (network ${networkOf(e.sourceIPAddress) ?? 'unknown'}) for ${e.eventSource} ${e.eventName}`,
    `networks known for this key: ${(ctx.history?.sightings ?? []).map((s) => s.v).join(', ') || 'none'}`,
  ],
  resources: (e) => (e.userIdentity.arn === undefined ? [] : [e.userIdentity.arn]),
  dedup: { key: (e) => `${keyOf(e)}|${networkOf(e.sourceIPAddress) ?? ''}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  // Plain literals: a template literal here would keep `docs` in the Lambda bundle.
  description:
    'A long-lived access key (AKIA…) of an IAM user named as a service identity (config serviceUsers) made a call ' +
    'from a network (/24 for IPv4, /48 for IPv6) it was not seen using in the last 90 days, after 14 days of learning.',
  runbook: [
    'Check whether the pipeline that owns the key moved (new runner, new NAT gateway, new CI provider range).',
    'If not: deactivate the key (`aws iam update-access-key --status Inactive`), create a new one for the pipeline, and review every call made from the new network.',
    'Find where the key leaked (repository history, CI logs, laptops) before issuing the new one.',
  ],
  rationale:
    'A service key is used from a handful of fixed egress networks; a new one is the classic sign of a leaked key ' +
    '(Stratus Red Team, public key-leak reports). High, unlike a person signing in from a new address: a pipeline ' +
    'does not travel. Networks, not addresses, keep NAT pools and cloud runners quiet. Learning (LEARNING_DAYS=14) ' +
    'and memory (REMEMBER_DAYS=90) as for console sign-ins. Country and ASN are not used (no IP database yet).',
  falsePositives: ['A CI provider or NAT gateway change; a runner moved to another region or cloud.'],
  cases: () => [
    {
      name: 'service key from a new network',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-access-key'),
      config: SERVICE_USERS,
      history: known(30, ['198.51.100.0/24']),
    },
    {
      // The drill: 14 days of calls from the pipeline's network build the memory (backdated, in the drill's own
      // namespace), then a call from another network.
      name: 'drill: the key called daily from 198.51.100.0/24 for 14 days, then from 203.0.113.77',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-access-key'),
      config: SERVICE_USERS,
      prepare: dailyBefore(
        LEARNING_DAYS,
        fixture('sts/GetCallerIdentity-access-key', { sourceIPAddress: '198.51.100.200' }),
      ),
    },
    {
      name: 'a denied call from the new network counts as seen: the next call from it is known',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key'),
      config: SERVICE_USERS,
      prepare: [
        ...dailyBefore(
          LEARNING_DAYS,
          fixture('sts/GetCallerIdentity-access-key', { sourceIPAddress: '198.51.100.200' }),
        ),
        {
          daysBefore: 0.5,
          event: fixture('sts/GetCallerIdentity-access-key', { errorCode: 'AccessDenied', errorMessage: 'denied' }),
        },
      ],
    },
    {
      name: 'service key from a known network (another address in it)',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key', { sourceIPAddress: '198.51.100.200' }),
      config: SERVICE_USERS,
      history: known(30, ['198.51.100.0/24']),
    },
    {
      name: 'still learning the key',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key'),
      config: SERVICE_USERS,
      history: known(3, ['198.51.100.0/24']),
    },
    {
      name: 'a person, not a service user',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key', {
        userIdentity: { userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice' },
      }),
      config: SERVICE_USERS,
      history: known(30, ['198.51.100.0/24']),
    },
    {
      name: 'a session key (ASIA) from the console, not a long-lived key',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key', { userIdentity: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE' } }),
      config: SERVICE_USERS,
      history: known(30, ['198.51.100.0/24']),
    },
    {
      name: 'called through an AWS service (no address)',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-access-key', { sourceIPAddress: 'AWS Internal' }),
      config: SERVICE_USERS,
      history: known(30, ['198.51.100.0/24']),
    },
  ],
};
