import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { Sighting } from '../core/history.ts';
import { policyExposure } from '../core/resource-policy.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The key's bare id, whether the call named it by id or ARN, or KMS put its ARN in `resources`. */
const keyIdOf = (e: CloudTrailRecord): string => {
  const ref =
    e.resources?.find((r) => r.ARN?.includes(':key/'))?.ARN ??
    stringParam(e.requestParameters, 'keyId') ??
    stringParam(e.responseElements, 'keyMetadata', 'keyId') ??
    'unknown-key';
  return ref.replace(/^arn:[^:]+:kms:[^:]*:\d{12}:key\//, '');
};
const keyOf = (e: CloudTrailRecord): string => `${accountOf(e)}|${keyIdOf(e)}`;

const OPENED = 'opened:';

/**
 * What a key policy call is remembered by: the accounts other than the key's own it grants (`public` for
 * everyone). Judged without the organisation, which `remember` cannot see; `match` sorts the accounts into
 * inside and outside with the configured organisation.
 */
const rememberOpening = (e: CloudTrailRecord): string | undefined => {
  if (!isSuccess(e) || (e.eventName !== 'PutKeyPolicy' && e.eventName !== 'CreateKey')) return undefined;
  const exposure = policyExposure(param(e.requestParameters, 'policy'), accountOf(e), []);
  if (exposure.kind === 'public') return `${OPENED}public`;
  if (exposure.kind === 'outside-org' && exposure.accounts.length > 0) return `${OPENED}${exposure.accounts.join(',')}`;
  return undefined;
};

/** The outside grantees remembered for this key (`public`, or accounts outside the configured organisation). */
const outsideGrantees = (sightings: readonly Sighting[], config: DetectionConfig): string[] => {
  const members = new Set(config.organization.accounts);
  const out = new Set<string>();
  for (const s of sightings) {
    if (!s.v.startsWith(OPENED)) continue;
    for (const who of s.v.slice(OPENED.length).split(',')) {
      if (who === 'public' || !members.has(who)) out.add(who);
    }
  }
  return [...out].sort();
};

const DISABLING = new Set(['DisableKey', 'ScheduleKeyDeletion']);

const FOREIGN_KEY_POLICY = () => fixture('kms/PutKeyPolicy');
const ORGANIZATION = { organization: { id: 'o-exampleorgid', accounts: ['111122223333', '444455556666'] } };
const ON_OPENED_KEY = {
  requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
  resources: [
    {
      accountId: '111122223333',
      type: 'AWS::KMS::Key',
      ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
  ],
};
const opened = (accounts: string, minutesAgo: number) => ({
  first: Date.parse('2026-11-01T09:00:00Z'),
  sightings: [
    {
      id: 'put-key-policy',
      v: `${OPENED}${accounts}`,
      t: Date.parse('2026-11-02T17:04:10Z') - minutesAgo * 60_000,
      last: Date.parse('2026-11-02T17:04:10Z') - minutesAgo * 60_000,
    },
  ],
});

export const rule = defineRule({
  id: 'kms.opened-key-disabled',
  title: 'KMS key opened to an outside account, then disabled or scheduled for deletion',
  severity: 'critical',
  escalation: { low: 'high' },
  controls: ['A.8.10', 'A.5.23'],
  mitre: ['T1486', 'T1485'],
  on: { source: 'kms', eventNames: ['PutKeyPolicy', 'CreateKey', 'DisableKey', 'ScheduleKeyDeletion'] },
  history: { key: keyOf, remember: rememberOpening, retainSeconds: 30 * 24 * 3600, max: 20 },
  match: (e, ctx) =>
    DISABLING.has(e.eventName) &&
    isSuccess(e) &&
    !isServiceInvoked(e) &&
    outsideGrantees(ctx.history?.sightings ?? [], ctx.config).length > 0,
  explain: (e, ctx) => [
    `key ${keyIdOf(e)} was opened to ${outsideGrantees(ctx.history?.sightings ?? [], ctx.config).join(', ')} before this ${e.eventName}`,
  ],
  resources: (e) => (e.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : [])),
  dedup: { key: keyOf },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A customer managed key whose policy was changed, within the last 30 days, to grant an account outside the ' +
    'organisation (or everyone) was then disabled or scheduled for deletion: the outside account can still use ' +
    'whatever it copied or re-encrypted while the owner loses access, the KMS form of a ransom.',
  runbook: [
    'Cancel the deletion and re-enable the key at once: `aws kms cancel-key-deletion --key-id <key>`, `aws kms enable-key --key-id <key>`.',
    'Remove the outside grant from the key policy (`aws kms get-key-policy --key-id <key> --policy-name default`, then `put-key-policy`) and list grants (`aws kms list-grants --key-id <key>`).',
    'Find what the outside account did with the key: CloudTrail Decrypt, ReEncrypt*, GenerateDataKey* and CreateGrant with this key and a foreign `userIdentity.accountId`; data it re-encrypted under its own key is the ransom.',
    'Treat the actor of both calls as compromised: revoke sessions, rotate credentials, review every call since the policy change.',
  ],
  rationale:
    'Either call alone is a finding of its own (kms.key-policy-opened, kms.key-disabled); the sequence is the ransomware signature (T1486): give an outside account the use of the key, then take it away from the owner. ' +
    'The rule remembers, per key, the outside accounts a policy granted for 30 days (the longest deletion waiting period) and raises a critical finding when the key is then disabled or scheduled for deletion, whoever does it. ' +
    'The organisation is applied when the key is disabled, so a grant to a member account never counts; with no organisation configured every other account is outside.',
  falsePositives: ['Keys shared with a partner account by agreement, then retired (document and suppress that key).'],
  cases: () => [
    {
      name: 'key opened to a foreign account 20 minutes before it is disabled',
      expect: 'match',
      event: fixture('kms/DisableKey', ON_OPENED_KEY),
      history: opened('999988887777', 20),
      config: ORGANIZATION,
      before: [FOREIGN_KEY_POLICY()],
    },
    {
      name: 'key opened to everyone, then scheduled for deletion',
      expect: 'match',
      event: fixture('kms/ScheduleKeyDeletion', ON_OPENED_KEY),
      history: opened('public', 60 * 24 * 3),
      config: ORGANIZATION,
    },
    {
      name: 'key opened only to a member account',
      expect: 'no-match',
      event: fixture('kms/DisableKey', ON_OPENED_KEY),
      history: opened('444455556666', 20),
      config: ORGANIZATION,
    },
    {
      name: 'key disabled with no opening remembered',
      expect: 'no-match',
      event: fixture('kms/DisableKey'),
      config: ORGANIZATION,
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('kms/DisableKey', {
        ...ON_OPENED_KEY,
        errorCode: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: kms:DisableKey',
      }),
      history: opened('999988887777', 20),
      config: ORGANIZATION,
    },
    {
      name: 'the opening itself is kms.key-policy-opened’s finding, not this one',
      expect: 'no-match',
      event: FOREIGN_KEY_POLICY(),
      history: opened('999988887777', 20),
      config: ORGANIZATION,
    },
  ],
};
