import { describe, expect, it } from 'vitest';
import { loadConfig, ORG_LIMITS, parseConfig } from '../../infra/config.ts';
import { BAD_ORG_FILE, ORG_BLOCK, ORG_HOME } from './config-cases.ts';

const errorsOf = (file: unknown, context = {}) => {
  const parsed = parseConfig(file, context);
  return parsed.ok ? [] : parsed.errors;
};

const HOME = ORG_HOME;
const ORG = ORG_BLOCK;

describe('org config', () => {
  it('is absent by default: single account', () => {
    expect(loadConfig(undefined).org).toBeUndefined();
    expect(loadConfig(HOME).org).toBeUndefined();
  });

  it('reads the block with its defaults, from the file or from -c org=JSON', () => {
    const expected = {
      ...ORG,
      callAs: 'SELF',
      newAccountGraceMinutes: ORG_LIMITS.newAccountGraceMinutes.default,
      failureTolerancePercentage: 10,
      maxConcurrentPercentage: 25,
      tagCacheMinutes: 60,
    };
    expect(loadConfig({ ...HOME, org: ORG }).org).toEqual(expected);
    expect(loadConfig(undefined, { ...HOME, org: JSON.stringify(ORG) }).org).toEqual(expected);
    const ou = 'ou-ab12-cdefgh34';
    expect(
      loadConfig({ ...HOME, org: { ...ORG, deploymentTargets: [ou], callAs: 'DELEGATED_ADMIN' } }).org,
    ).toMatchObject({ deploymentTargets: [ou], callAs: 'DELEGATED_ADMIN' });
  });

  it('names the path of every bad value', () => {
    const errors = errorsOf(BAD_ORG_FILE);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^org\.id: must be an organisation id .*"o-short"/),
        expect.stringMatching(/^org\.deploymentTargets\[1\]: must be a root id .*"111122223333"/),
        expect.stringMatching(/^org\.deploymentTargets\[2\]: is listed twice/),
        expect.stringMatching(/^org\.regions\[1\]: must be an AWS region .*"Mars"/),
        expect.stringMatching(/^org\.callAs: must be SELF or DELEGATED_ADMIN/),
        expect.stringMatching(/^org\.failureTolerancePercentage: must be a whole number from 0 to 100/),
        expect.stringMatching(/^org\.extra: unknown key/),
      ]),
    );
    expect(errorsOf({ ...HOME, org: { ...ORG, regions: [] } })).toEqual([
      expect.stringMatching(/^org\.regions: must be a non-empty list/),
    ]);
    expect(errorsOf(undefined, { ...HOME, org: '{not json' })).toEqual([
      expect.stringMatching(/^org \(from -c org=\{not json\): is not valid JSON/),
    ]);
  });

  it('needs the pipeline account and home region, and the home region among the regions', () => {
    expect(errorsOf({ org: ORG })).toEqual([
      'org: needs account (the pipeline account id)',
      'org: needs homeRegion (the pipeline region)',
    ]);
    expect(errorsOf({ ...HOME, homeRegion: 'eu-central-1', org: ORG })).toEqual([
      'org.regions: must include homeRegion eu-central-1 (got ["eu-west-1","us-east-1"])',
    ]);
  });
});
