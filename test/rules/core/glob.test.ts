import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../rules/core/glob.ts';

const matches = (glob: string, value: string): boolean => globToRegExp(glob).test(value);

describe('globToRegExp', () => {
  it.each([
    ['arn:aws:iam::*:role/deploy', 'arn:aws:iam::111122223333:role/deploy', true],
    ['arn:aws:iam::*:role/deploy', 'arn:aws:iam:::role/deploy', true],
    ['arn:aws:iam::*:role/deploy', 'arn:aws:iam::111122223333:role/deploy-2', false],
    ['arn:aws:iam::*:role/deploy', 'x-arn:aws:iam::111122223333:role/deploy', false],
    ['trailwarden-*', 'trailwarden-evidence/a/b', true],
    ['*', '', true],
    ['*-role-*', 'cdk-exec-role-eu-west-1', true],
    ['*-role-*', 'cdk-exec-rol-eu', false],
  ])('%j against %j: %s', (glob, value, expected) => {
    expect(matches(glob, value)).toBe(expected);
  });

  // Every regular-expression character but `*` is literal: a config pattern can never widen itself by accident.
  it.each([
    ['a.b', 'a.b', 'axb'],
    ['a+b', 'a+b', 'aab'],
    ['ab?', 'ab?', 'a'],
    ['^a', '^a', 'a'],
    ['a$', 'a$', 'a'],
    ['a{2}', 'a{2}', 'aa'],
    ['(a)', '(a)', 'a'],
    ['a|b', 'a|b', 'b'],
    ['[ab]', '[ab]', 'a'],
    ['a\\d', 'a\\d', 'a1'],
  ])('%j is literal: matches %j, not %j', (glob, literal, regexReading) => {
    expect(matches(glob, literal)).toBe(true);
    expect(matches(glob, regexReading)).toBe(false);
  });

  it('compiles a pattern once and reuses it', () => {
    expect(globToRegExp('role/*')).toBe(globToRegExp('role/*'));
    expect(globToRegExp('role/*')).not.toBe(globToRegExp('user/*'));
  });
});
