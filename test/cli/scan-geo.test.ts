import { describe, expect, it } from 'vitest';
import { fixture } from '../../rules/fixtures/index.ts';
import { jsonLinesOf, logFile, runCli, tempTree } from './helpers.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-10-01T08:00:00Z');
const at = (i: number, ip: string) =>
  fixture('signin/ConsoleLogin', {
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventTime: new Date(T0 + i * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    sourceIPAddress: ip,
  });

/**
 * End to end over real public addresses and the real IP database from node_modules: 20 days in Britain on one
 * ISP (Andrews & Arnold, AS20712), then the RIPE NCC's network in the Netherlands, then a Tor exit in Germany.
 */
describe('trailwarden scan: sign-ins from new countries, networks and anonymisers', () => {
  const records = [
    ...Array.from({ length: 20 }, (_, i) => at(i, '81.2.69.142')),
    at(21, '193.0.6.139'),
    at(22, '81.2.69.143'),
    at(23, '185.220.101.1'),
  ];
  // A fresh tree per test: the helpers remove temporary trees after each.
  const tree = () =>
    tempTree({
      'logs/signins.json': logFile(records),
      'tor.txt': '# Tor exits\nExitAddress 185.220.101.1 2026-10-20 10:00:00\n',
      'bad.txt': '185.220.101.1\nnot-an-address\n',
    });

  it('pages the new country and the anonymiser, naming location, database and list', async () => {
    const dir = tree();
    const run = await runCli(
      ['scan', `${dir}/logs`, '--format', 'jsonl', '--jobs', '1', '--anonymisers', `${dir}/tor.txt`],
      { cwd: dir },
    );
    expect(run.stderr).not.toMatch(/failed/);
    const findings = jsonLinesOf(run.stdout);
    const pick = (id: string) => findings.filter((f) => f.ruleId === id);
    const country = pick('signin.new-country');
    expect(country.map((f) => f.severity)).toEqual(['high', 'high']);
    expect(country[0]?.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^signed in from 193\.0\.6\.139: NL, AS3333 /),
        'countries known for this person: GB',
        'networks known for this person: GB AS20712',
        expect.stringMatching(/^IP data: ip-location-db /),
      ]),
    );
    const tor = pick('signin.anonymiser');
    expect(tor).toHaveLength(1);
    expect((tor[0]?.details as string[] | undefined)?.[0]).toBe(
      `ON anonymiser list tor.txt (file:${dir}/tor.txt) as 185.220.101.1`,
    );
    // 81.2.69.143: a new address on the known ISP in the known country is only new-source's medium context.
    const sameNetwork = findings.filter((f) => (f.actor as { sourceIp?: string }).sourceIp === '81.2.69.143');
    expect(sameNetwork.map((f) => f.ruleId)).toEqual(['signin.new-source']);
    expect(sameNetwork[0]?.details).toEqual(
      expect.arrayContaining([expect.stringMatching(/^location: 81\.2\.69\.143: GB, AS20712/)]),
    );
  }, 120_000);

  it('a bad list fails the sign-in events loudly, naming file and line', async () => {
    const dir = tree();
    const run = await runCli(['scan', `${dir}/logs`, '--jobs', '1', '--anonymisers', `${dir}/bad.txt`], { cwd: dir });
    expect(run.stderr).toContain(
      `intel failed for 23 events: anonymiser list file:${dir}/bad.txt could not be loaded: file:${dir}/bad.txt:2: not an IP address or CIDR`,
    );
  }, 120_000);

  it('refuses a missing list file as a usage error', async () => {
    const dir = tree();
    const missing = await runCli(['scan', `${dir}/logs`, '--anonymisers', `${dir}/nope.txt`], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such anonymiser list');
  });
});
