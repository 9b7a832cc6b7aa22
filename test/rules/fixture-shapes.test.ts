import { describe, expect, it } from 'vitest';
import { fixture, fixtureNames } from '../../rules/fixtures/index.ts';

/**
 * Fixtures are CloudTrail records as CloudTrail writes them, whatever tool published the sample they came from: a
 * time in another tool's export format (`2024-11-25 22:00:58.000000000`, no zone) is read by `Date.parse` in the
 * machine's local time zone, so a rule case built on it would pass or fail with the zone of the machine it runs on.
 */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const cloudTrailFixtures = fixtureNames().filter((n) => !n.startsWith('config-'));

describe('fixture shapes', () => {
  it('there are CloudTrail fixtures to check', () => {
    expect(cloudTrailFixtures.length).toBeGreaterThan(500);
  });

  it.each(cloudTrailFixtures)('%s: eventTime and the session creation date in CloudTrail UTC form', (name) => {
    const record = fixture(name);
    if (record.eventTime !== undefined) expect(record.eventTime).toMatch(ISO_UTC);
    const creationDate = (
      record.userIdentity as { sessionContext?: { attributes?: { creationDate?: unknown } } } | undefined
    )?.sessionContext?.attributes?.creationDate;
    if (creationDate !== undefined) expect(creationDate).toMatch(ISO_UTC);
  });
});
