import { isApprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** What each call hands back: temporary SSH or RDP credentials for one instance, or the region's default key. */
const WHAT = {
  GetInstanceAccessDetails: 'temporary SSH key or RDP password',
  DownloadDefaultKeyPair: 'private key of the default key pair (every instance launched with it)',
} as const;

const target = (e: CloudTrailRecord): string => {
  const instance = stringParam(e.requestParameters, 'instanceName');
  return instance === undefined
    ? resourceArn(e, 'lightsail', 'KeyPair/default')
    : resourceArn(e, 'lightsail', `Instance/${instance}`);
};

export const rule = defineRule({
  id: 'lightsail.instance-credentials-retrieved',
  title: 'Lightsail instance login credentials retrieved',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.5', 'A.8.2'],
  mitre: ['T1552', 'T1021.004'],
  on: { source: 'lightsail', eventNames: Object.keys(WHAT) },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && !isApprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `${e.eventName in WHAT ? WHAT[e.eventName as keyof typeof WHAT] : e.eventName} returned to ${actorArn(e)} for ${target(e)}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [target(e)],
  // One identity collecting logins across instances is one finding for an hour.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Someone outside the approved process asked Lightsail for a way into its instances: temporary SSH or RDP ' +
    'credentials for an instance (GetInstanceAccessDetails), or the private key of the region’s default key pair ' +
    '(DownloadDefaultKeyPair), which opens every instance launched with it. Lightsail instances sit outside the ' +
    'account’s VPC controls and are often forgotten.',
  runbook: [
    'Find every call and instance: `aws cloudtrail lookup-events --region <region> --lookup-attributes ' +
      'AttributeKey=EventSource,AttributeValue=lightsail.amazonaws.com --start-time <first-seen>`.',
    'If the caller was not expected to log in: rotate the instance keys (a new key pair, `aws lightsail ' +
      'delete-key-pair` for the old one; the default key pair cannot be rotated, so move instances off it), close SSH ' +
      'and RDP ports to the internet (`aws lightsail put-instance-public-ports`), and read the instance’s auth log.',
    'Review the actor’s other calls: credential collection usually follows discovery (GetInstances) and precedes ' +
      'lateral movement.',
  ],
  rationale:
    'Both calls return live login material (T1552) for remote access (T1021.004) without touching IAM; the browser ' +
    'SSH client calls GetInstanceAccessDetails each time someone connects from the console, so it is medium (high ' +
    'on high-criticality assets) and folds per identity for an hour. Sigma watches Lightsail as compute outside the ' +
    'VPC. Approved automation and refused calls are excluded.',
  falsePositives: ['Administrators using the Lightsail console’s browser SSH client.'],
  cases: () => [
    {
      name: 'an outside tool asks for SSH access to billing-wp-1',
      expect: 'match',
      event: fixture('lightsail/GetInstanceAccessDetails'),
    },
    {
      name: 'the default key pair downloaded',
      expect: 'match',
      event: fixture('lightsail/GetInstanceAccessDetails', {
        eventName: 'DownloadDefaultKeyPair',
        requestParameters: null,
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'lightsail/GetInstanceAccessDetails',
        denied('AccessDeniedException', 'lightsail:GetInstanceAccessDetails'),
      ),
    },
    {
      name: 'the approved automation',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('lightsail/GetInstanceAccessDetails', BY_APPROVED_DEPLOY),
    },
  ],
};
