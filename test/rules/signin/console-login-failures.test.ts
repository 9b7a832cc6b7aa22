import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import { windowFor } from '../../../rules/core/detector.ts';
import { contextFor } from '../../../rules/core/engine.ts';
import { fromRecord } from '../../../rules/core/events.ts';
import type { AuditEvent } from '../../../rules/core/types.ts';
import type { Overrides } from '../../../rules/fixtures/index.ts';
import { fixture } from '../../../rules/fixtures/index.ts';
import { rule } from '../../../rules/signin/console-login-failures.rule.ts';

const event = (name: string, overrides: Overrides = {}): AuditEvent => {
  const parsed = fromRecord(fixture(name, overrides));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
};
const rootFailure = () =>
  event('signin/ConsoleLogin-root', {
    errorMessage: 'Failed authentication',
    responseElements: { ConsoleLogin: 'Failure' },
  });

describe('signin.console-login-failures grouping', () => {
  it.each([
    ['an IAM user, by account and user name', event('signin/ConsoleLogin-failure'), '111122223333|bob'],
    ['root, by account', rootFailure(), '111122223333|root'],
    ['a masked user name, by source IP', event('signin/ConsoleLogin-hidden-user'), 'ip:203.0.113.66'],
    [
      'a user with no name at all, by source IP',
      event('signin/ConsoleLogin-failure', { userIdentity: { userName: undefined } }),
      'ip:203.0.113.66',
    ],
  ])('groups %s', (_what, e, key) => {
    expect(rule.threshold?.groupBy(e)).toBe(key);
    // One burst is one finding: the dedup key is the group key.
    expect(rule.dedup.key(e)).toBe(key);
  });

  it.each([
    ['an IAM user record without an arn', event('signin/ConsoleLogin-failure'), ['arn:aws:iam::111122223333:user/bob']],
    ['root', rootFailure(), ['arn:aws:iam::111122223333:root']],
    ['a masked user name', event('signin/ConsoleLogin-hidden-user'), []],
  ])('names the target of %s as a resource', (_what, e, arns) => {
    expect(rule.resources(e)).toEqual(arns);
  });

  it.each([
    ['high', { count: 3, windowSeconds: 300 }],
    ['medium', { count: 5, windowSeconds: 600 }],
    ['low', { count: 10, windowSeconds: 900 }],
  ] as const)('uses the %s-criticality window', (criticality, spec) => {
    expect(windowFor(rule, { criticality, config: DEFAULT_DETECTION_CONFIG })).toEqual(spec);
  });

  it('lets a root criticality pattern pick the tight window for root failures', () => {
    const config = {
      ...DEFAULT_DETECTION_CONFIG,
      criticality: {
        ...DEFAULT_DETECTION_CONFIG.criticality,
        resources: [{ pattern: 'arn:aws:iam::*:root', level: 'high' as const }],
      },
    };
    const root = rootFailure();
    expect(contextFor(config, root, rule.resources(root)).criticality).toBe('high');
    const bob = event('signin/ConsoleLogin-failure');
    expect(contextFor(config, bob, rule.resources(bob)).criticality).toBe('medium');
  });
});
