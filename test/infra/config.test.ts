import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_CONFIG, DEFAULT_RETENTION_DAYS, loadConfig, parseConfig } from '../../infra/config.ts';
import { DEFAULT_REPLAY_CONFIG } from '../../infra/replay-config.ts';
import { DEFAULT_DETECTION_CONFIG, DEFAULT_SLA } from '../../rules/core/config.ts';
import { DEFAULT_DRILLS_CONFIG } from '../../rules/core/drill-run.ts';
import { COMPLETE_CONFIG, CONFIG_REFUSALS, SWITCH_REFUSALS } from './config-cases.ts';

const errorsOf = (file: unknown, context = {}) => {
  const parsed = parseConfig(file, context);
  return parsed.ok ? [] : parsed.errors;
};

describe('loadConfig', () => {
  it('uses defaults when there is no file and no context', () => {
    expect(loadConfig(undefined)).toEqual({
      retentionDays: DEFAULT_RETENTION_DAYS,
      alerts: { emails: [], https: [] },
      health: { deliveryLagMinutes: 60, silenceMinutes: 360 },
      trails: [],
      changeWindows: [],
      detection: DEFAULT_DETECTION_CONFIG,
      drillOperators: [],
      sla: DEFAULT_SLA,
      securityHub: false,
      chat: { enabled: false },
      drills: DEFAULT_DRILLS_CONFIG,
      trailIntegrity: { buckets: [], organizationTrail: false, lagMinutes: 30 },
      elevatedAccess: { enabled: true, schedule: 'rate(30 minutes)', graceMinutes: 15 },
      replay: DEFAULT_REPLAY_CONFIG,
    });
  });

  it('turns Security Hub and chat on from the file or from -c', () => {
    expect(loadConfig({ securityHub: true, chat: { enabled: true } })).toMatchObject({
      securityHub: true,
      chat: { enabled: true },
    });
    expect(loadConfig(undefined, { securityHub: 'true', chat: '{"enabled":true}' })).toMatchObject({
      securityHub: true,
      chat: { enabled: true },
    });
    expect(
      loadConfig({ securityHub: true, chat: { enabled: true } }, { securityHub: 'false', chat: 'false' }),
    ).toMatchObject({
      securityHub: false,
      chat: { enabled: false },
    });
    expect(loadConfig(undefined, { chat: 'true' }).chat).toEqual({ enabled: true });
  });

  it.each(SWITCH_REFUSALS)('rejects Security Hub / chat config %j %j with its path', (file, context, error) => {
    expect(errorsOf(file, context)).toEqual([error]);
  });

  it('takes drill operators from the file or from -c as a comma list', () => {
    const arn = 'arn:aws:iam::111122223333:role/drill';
    expect(loadConfig({ drillOperators: [arn] }).drillOperators).toEqual([arn]);
    expect(loadConfig(undefined, { drillOperators: `${arn},${arn}2` }).drillOperators).toEqual([arn, `${arn}2`]);
  });

  it('reads a complete file', () => {
    const config = loadConfig(COMPLETE_CONFIG);
    expect(config.homeRegion).toBe('eu-west-1');
    expect(config.account).toBe('111122223333');
    expect(config.retentionDays).toBe(2555);
    expect(config.evidenceLogRetentionDays).toBe(400);
    expect(config.alerts.https[0]?.filterPolicy).toEqual({
      kind: ['page', 'escalation', 'resolved'],
      drill: [{ exists: false }],
    });
    expect(config.changeWindows).toEqual([
      { days: ['Tue', 'Thu'], start: '09:00', end: '11:30', timezone: 'Europe/Berlin' },
    ]);
    expect(config.detection.approved.iacUserAgents).toEqual(['aws-cdk']);
    // Each incidents key defaults on its own.
    expect(config.detection.incidents).toEqual({ correlationMinutes: 90, pageSeverity: 'high' });
    // The evaluate function judges the approved process from its detection config, windows included.
    expect(config.detection.approved.changeWindows).toEqual(config.changeWindows);
  });

  it('takes a break-glass role by ARN, from the file or -c, paths included', () => {
    expect(loadConfig(undefined).breakGlassRoleArn).toBeUndefined();
    const arn =
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_BreakGlass_0a1b';
    expect(loadConfig({ account: '111122223333', breakGlassRoleArn: arn }).breakGlassRoleArn).toBe(arn);
    const fromContext = loadConfig(undefined, { breakGlassRoleArn: 'arn:aws-us-gov:iam::111122223333:role/bg' });
    expect(fromContext.breakGlassRoleArn).toBe('arn:aws-us-gov:iam::111122223333:role/bg');
  });

  it('lets -c values (strings) override the file', () => {
    const config = loadConfig(
      { retentionDays: 30, trails: ['a-trail'] },
      {
        retentionDays: '400',
        homeRegion: 'eu-central-1',
        account: '444455556666',
        trails: 'one-trail, two-trail',
        alerts: '{"emails":["oncall@example.com"]}',
        detection: '{"criticality":{"default":"high"}}',
      },
    );
    expect(config.retentionDays).toBe(400);
    expect(config.homeRegion).toBe('eu-central-1');
    expect(config.account).toBe('444455556666');
    expect(config.trails).toEqual(['one-trail', 'two-trail']);
    expect(config.alerts.emails).toEqual(['oncall@example.com']);
    expect(config.detection.criticality.default).toBe('high');
  });

  it('reads the health thresholds, each defaulting on its own', () => {
    expect(loadConfig({ health: { deliveryLagMinutes: 30, silenceMinutes: 720 } }).health).toEqual({
      deliveryLagMinutes: 30,
      silenceMinutes: 720,
    });
    expect(loadConfig({ health: { silenceMinutes: 15 } }).health).toEqual({
      deliveryLagMinutes: 60,
      silenceMinutes: 15,
    });
    expect(loadConfig({ health: { deliveryLagMinutes: 1440 } }).health).toEqual({
      deliveryLagMinutes: 1440,
      silenceMinutes: 360,
    });
    expect(loadConfig({ health: {} }).health).toEqual(DEFAULT_HEALTH_CONFIG);
    expect(DEFAULT_HEALTH_CONFIG).toEqual({ deliveryLagMinutes: 60, silenceMinutes: 360 });
    // -c health='{"silenceMinutes":10080}' replaces the file's block as a whole, like the other objects.
    expect(loadConfig({ health: { deliveryLagMinutes: 30 } }, { health: '{"silenceMinutes":10080}' }).health).toEqual({
      deliveryLagMinutes: 60,
      silenceMinutes: 10080,
    });
  });

  it('accepts typed context values from cdk.json', () => {
    expect(loadConfig(undefined, { retentionDays: 90, trails: ['t-1x'] }).retentionDays).toBe(90);
  });

  it.each(CONFIG_REFUSALS)('rejects %j %j', (file, context, message) => {
    const errors = errorsOf(file, context);
    expect(
      errors.some((e) => e.includes(message)),
      errors.join('\n'),
    ).toBe(true);
  });

  it('reports every problem at once and throws one readable error naming each key and value', () => {
    expect(() => loadConfig({ retentionDays: -1, account: '12' }, {}, 'trailwarden.config.json')).toThrow(
      /invalid trailwarden\.config\.json:\n {2}account: .*"12".*\n {2}retentionDays: .*\(got -1\)/,
    );
  });
});
