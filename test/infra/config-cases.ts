import type { ConfigContext } from '../../infra/config.ts';

/**
 * Inputs of the deploy-config tests, shared with test/config-schema.test.ts: what parseConfig takes must validate
 * against trailwarden.config.schema.json, and what it refuses for a shape reason must fail it.
 */

/** A file using most keys; parseConfig takes it. */
export const COMPLETE_CONFIG = {
  homeRegion: 'eu-west-1',
  account: '111122223333',
  retentionDays: 2555,
  evidenceLogRetentionDays: 400,
  alerts: {
    emails: ['secops@example.com'],
    https: [
      {
        url: 'https://events.pagerduty.com/integration/KEY/enqueue',
        filterPolicy: { kind: ['page', 'escalation', 'resolved'], drill: [{ exists: false }] },
      },
    ],
  },
  trails: ['org-trail', 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail'],
  changeWindows: [{ days: ['Tue', 'Thu'], start: '09:00', end: '11:30', timezone: 'Europe/Berlin' }],
  detection: { approved: { iacUserAgents: ['aws-cdk'] }, incidents: { correlationMinutes: 90 } },
};

/** [file, -c context, expected error]: Security Hub and chat switches parseConfig refuses. */
export const SWITCH_REFUSALS: readonly (readonly [unknown, ConfigContext, string])[] = [
  [{ securityHub: 'yes' }, {}, 'securityHub: must be true or false (got "yes")'],
  [{}, { securityHub: 'on' }, 'securityHub: must be true or false (got "on")'],
  [{ chat: true }, {}, 'chat: must be {enabled} (got true)'],
  [{ chat: { enabled: 'yes' } }, {}, 'chat.enabled: must be true or false (got "yes")'],
  [{ chat: { enabled: true, slack: 'C0123' } }, {}, 'chat.slack: unknown key (known keys: enabled)'],
];

/** [file, -c context, a part of the expected error]: files (and overrides) parseConfig refuses. */
export const CONFIG_REFUSALS: readonly (readonly [unknown, ConfigContext, string])[] = [
  [{ retentionDays: 0 }, {}, 'retentionDays: must be a whole number of days from 1 to 36500 (got 0)'],
  [{ retentionDays: 36501 }, {}, 'retentionDays: must be a whole number of days from 1 to 36500 (got 36501)'],
  [{ retentionDays: 1.5 }, {}, 'retentionDays: must be a whole number of days from 1 to 36500 (got 1.5)'],
  [{}, { retentionDays: 'a year' }, 'retentionDays: must be a whole number of days from 1 to 36500 (got "a year")'],
  [{ account: '1234' }, {}, 'account: must be a 12-digit AWS account id, as a string (got "1234")'],
  [{}, { account: 'abc' }, 'account: must be a 12-digit AWS account id, as a string (got "abc")'],
  [{ homeRegion: 'Europe' }, {}, 'homeRegion: must be an AWS region such as eu-west-1 (got "Europe")'],
  [{ retentionDay: 30 }, {}, 'retentionDay: unknown key'],
  [{ alerts: { email: [] } }, {}, 'alerts.email: unknown key'],
  [{ alerts: { emails: ['not-an-email'] } }, {}, 'alerts.emails[0]: must be email addresses (got "not-an-email")'],
  [{ alerts: { https: [{ url: 'http://example.com/hook' }] } }, {}, 'alerts.https[0].url: must be an https:// URL'],
  [{ alerts: { https: [{ url: 'https://x.example', filterPolicy: { severity: [] } }] } }, {}, 'filterPolicy.severity'],
  [{ changeWindows: [{ days: ['Mon'], start: '18:00', end: '08:00' }] }, {}, 'changeWindows[0].end: must be after'],
  [{ changeWindows: [{ days: ['Monday'], start: '08:00', end: '09:00' }] }, {}, 'changeWindows[0].days'],
  [{ changeWindows: [{ days: ['Mon'], start: '8am', end: '09:00' }] }, {}, 'changeWindows[0].start: must be HH:MM'],
  [{ changeWindows: [{ days: ['Mon'], start: '08:00', end: '09:00', timezone: 'Mars/Base' }] }, {}, 'timezone'],
  [{ trails: 'org-trail' }, {}, 'trails: must be a list of trail names or ARNs'],
  [{ detection: { approved: { automationRole: [] } } }, {}, 'detection.approved.automationRole: unknown key'],
  [{}, { detection: '{not json' }, 'detection (from -c detection={not json): is not valid JSON'],
  [
    { detection: { incidents: { correlationMinutes: 0 } } },
    {},
    'detection.incidents.correlationMinutes: must be a whole number of minutes, 1..1440 (got 0)',
  ],
  [
    { detection: { incidents: { correlationMinutes: 1441 } } },
    {},
    'detection.incidents.correlationMinutes: must be a whole number of minutes, 1..1440 (got 1441)',
  ],
  [
    { detection: { incidents: { pageSeverity: 'urgent' } } },
    {},
    'detection.incidents.pageSeverity: must be one of critical, high, medium, low, info (got "urgent")',
  ],
  [{ detection: { incidents: { window: 60 } } }, {}, 'detection.incidents.window: unknown key'],
  [[1, 2], {}, 'config file: must be a JSON object'],
  [
    { health: { deliveryLagMinutes: 4 } },
    {},
    'health.deliveryLagMinutes: must be a whole number of minutes from 5 to 1440 (got 4)',
  ],
  [
    { health: { deliveryLagMinutes: 1441 } },
    {},
    'health.deliveryLagMinutes: must be a whole number of minutes from 5 to 1440 (got 1441)',
  ],
  [
    { health: { silenceMinutes: 14 } },
    {},
    'health.silenceMinutes: must be a whole number of minutes from 15 to 10080 (got 14)',
  ],
  [
    { health: { silenceMinutes: 10081 } },
    {},
    'health.silenceMinutes: must be a whole number of minutes from 15 to 10080 (got 10081)',
  ],
  [
    { health: { silenceMinutes: 90.5 } },
    {},
    'health.silenceMinutes: must be a whole number of minutes from 15 to 10080 (got 90.5)',
  ],
  [
    { health: { silenceMinutes: '360' } },
    {},
    'health.silenceMinutes: must be a whole number of minutes from 15 to 10080 (got "360")',
  ],
  [{ health: { silence: 60 } }, {}, 'health.silence: unknown key (known keys: deliveryLagMinutes, silenceMinutes)'],
  [{ health: 60 }, {}, 'health: must be {deliveryLagMinutes?, silenceMinutes?} (got 60)'],
  [{}, { health: '{"silenceMinutes":' }, 'health (from -c health={"silenceMinutes":): is not valid JSON'],
  [{}, { health: '{"silenceMinutes":5}' }, 'health.silenceMinutes: must be a whole number of minutes from 15'],
  [{ breakGlassRoleArn: 'break-glass' }, {}, 'breakGlassRoleArn: must be an IAM role ARN'],
  [{ breakGlassRoleArn: 'arn:aws:iam::111122223333:user/alice' }, {}, 'breakGlassRoleArn: must be an IAM role ARN'],
  [{ breakGlassRoleArn: 'arn:aws:iam::111122223333:role/*' }, {}, 'breakGlassRoleArn: must be an IAM role ARN'],
  [{}, { breakGlassRoleArn: 'arn:aws:iam::1111:role/x' }, 'breakGlassRoleArn: must be an IAM role ARN'],
  [
    { account: '111122223333', breakGlassRoleArn: 'arn:aws:iam::444455556666:role/break-glass' },
    {},
    'breakGlassRoleArn: must be a role of account 111122223333 (got "arn:aws:iam::444455556666:role/break-glass")',
  ],
];

/** The pipeline account and region an org deployment needs. */
export const ORG_HOME = { account: '111122223333', homeRegion: 'eu-west-1' };
/** An org block parseConfig takes beside ORG_HOME. */
export const ORG_BLOCK = { id: 'o-a1b2c3d4e5', deploymentTargets: ['r-ab12'], regions: ['eu-west-1', 'us-east-1'] };
/** An org block with a bad value in nearly every key. */
export const BAD_ORG_FILE = {
  ...ORG_HOME,
  org: {
    id: 'o-short',
    deploymentTargets: ['r-ab12', '111122223333', 'r-ab12'],
    regions: ['eu-west-1', 'Mars'],
    callAs: 'ROOT',
    failureTolerancePercentage: 101,
    extra: true,
  },
};
