import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { evaluate } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { catalogue } from '../../../rules/index.ts';

const MFA_RULES = ['iam.mfa-device-for-another-user', 'iam.mfa-device-registered-with-temporary-keys'];

/** The MFA rules the whole catalogue fires on one EnableMFADevice record. */
const firing = (name: string, overrides: Overrides = {}): string[] => {
  const parsed = fromRecord(fixture(name, overrides));
  if (!parsed.ok) throw new Error(parsed.error);
  return evaluate(catalogue, DEFAULT_DETECTION_CONFIG, parsed.event)
    .flatMap((v) => (v.kind === 'match' && MFA_RULES.includes(v.rule.id) ? [v.rule.id] : []))
    .sort();
};

const SESSION = { accessKeyId: 'ASIAQXYZEXAMPLE7KEYS' };
const LONG_TERM = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' };

/**
 * The two rules split EnableMFADevice between them: a device for someone else is the other-user rule's whatever
 * the keys; a device for oneself is the session-key rule's only with session keys outside the console. One call
 * never pages twice, and the attacker's self-enrolment with stolen session keys is never left to neither.
 */
describe('EnableMFADevice: exactly one MFA rule per call, or none', () => {
  it.each([
    ['self, session keys, CLI', 'alice', SESSION, {}, ['iam.mfa-device-registered-with-temporary-keys']],
    [
      'self (name in another case), session keys',
      'ALICE',
      SESSION,
      {},
      ['iam.mfa-device-registered-with-temporary-keys'],
    ],
    ['self, session keys, console', 'alice', SESSION, { sessionCredentialFromConsole: 'true' }, []],
    ['self, long-term key', 'alice', LONG_TERM, {}, []],
    ['bob, session keys, CLI', 'bob', SESSION, {}, ['iam.mfa-device-for-another-user']],
    [
      'bob, session keys, console',
      'bob',
      SESSION,
      { sessionCredentialFromConsole: 'true' },
      ['iam.mfa-device-for-another-user'],
    ],
    ['bob, long-term key', 'bob', LONG_TERM, {}, ['iam.mfa-device-for-another-user']],
  ] as const)('%s', (_name, userName, keys, extra, expected) => {
    const got = firing('iam/EnableMFADevice-session', {
      userIdentity: keys,
      requestParameters: { userName },
      ...extra,
    });
    expect(got).toEqual(expected);
  });
});
