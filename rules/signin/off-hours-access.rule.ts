import { partitionOf } from '../core/arn.ts';
import type { ChangeWindow } from '../core/change-window.ts';
import { describeWindow, isWithinAnyWindow, isWithinWindow, localTime } from '../core/change-window.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * A console session starting: a sign-in (IAM user, root, SAML / IAM Identity Center / custom broker federation,
 * which all end in a `ConsoleLogin` in the account signed in to), or switching role into the account from a
 * session elsewhere. Each event names its own result under its own name.
 */
const sessionStarted = (e: CloudTrailRecord): boolean => stringParam(e.responseElements, e.eventName) === 'Success';

const accountOfUser = (e: CloudTrailRecord): string => e.userIdentity.accountId ?? accountOf(e);

const identityOf = (e: CloudTrailRecord): string => {
  const id = e.userIdentity;
  if (id.type === 'Root') return id.arn ?? `arn:${partitionOf(e.awsRegion)}:iam::${accountOfUser(e)}:root`;
  return (
    id.arn ??
    (id.userName
      ? `arn:${partitionOf(e.awsRegion)}:iam::${accountOfUser(e)}:user/${id.userName}`
      : (id.principalId ?? 'unknown'))
  );
};

/** The identity signed in as, and for role sessions the role too, so criticality patterns on either apply. */
const identityArns = (e: CloudTrailRecord): readonly string[] =>
  [identityOf(e), e.userIdentity.sessionContext?.sessionIssuer?.arn].filter(
    (arn): arn is string => arn?.startsWith('arn:') === true,
  );

const windowsOf = (config: { readonly businessHours?: readonly ChangeWindow[] }): readonly ChangeWindow[] =>
  config.businessHours ?? [];

// Fixtures for the cases: business hours of a London office, Monday to Friday.
const LONDON: ChangeWindow = {
  days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
  start: '08:00',
  end: '18:00',
  timezone: 'Europe/London',
};
const NEW_YORK: ChangeWindow = { ...LONDON, start: '09:00', end: '17:00', timezone: 'America/New_York' };
const londonHours = { businessHours: [LONDON] };
const loginAt = (eventTime: string) => fixture('signin/ConsoleLogin', { eventTime });

export const rule = defineRule({
  id: 'signin.off-hours-access',
  title: 'Console sign-in to a high-criticality account outside business hours',
  severity: 'high',
  controls: ['A.8.5', 'A.8.16'],
  mitre: ['T1078'],
  on: { source: 'signin', eventNames: ['ConsoleLogin', 'SwitchRole'] },
  match: (e, ctx) => {
    const windows = windowsOf(ctx.config);
    return (
      ctx.criticality === 'high' &&
      windows.length > 0 &&
      sessionStarted(e) &&
      !isWithinAnyWindow(Date.parse(e.eventTime), windows)
    );
  },
  // Per person, not per role: an IAM Identity Center role is shared by everyone with the permission set.
  dedup: { key: (e) => `${accountOfUser(e)}|${identityOf(e)}` },
  resources: identityArns,
  explain: (e, ctx) => {
    const t = Date.parse(e.eventTime);
    const from = stringParam(e.additionalEventData, 'SwitchFrom');
    const what =
      e.eventName === 'SwitchRole'
        ? `switched role into ${identityOf(e)}${from ? ` from ${from}` : ''}`
        : `signed in to the console as ${identityOf(e)}`;
    return [
      `${what} at ${e.eventTime} from ${e.sourceIPAddress ?? 'unknown'}`,
      ...windowsOf(ctx.config).map((w) => {
        const local = localTime(t, w.timezone);
        const where = isWithinWindow(t, w) ? 'inside' : 'outside';
        return `local time ${local.day} ${local.hhmm} (${w.timezone}) is ${where} business hours ${describeWindow(w)}`;
      }),
    ];
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A successful console sign-in (ConsoleLogin, including federated and IAM Identity Center sign-ins) or role ' +
    'switch (SwitchRole) into a high-criticality account happened outside every business-hours window of ' +
    '`businessHours`, judged in each window’s own time zone (daylight saving included). When no business hours ' +
    'are configured the rule never matches.',
  runbook: [
    'Read the local time and the windows in the finding details; check the on-call rota, incident channel and ' +
      'change tickets for a reason to be in this account at that hour.',
    'Ask the person (the identity in the finding; for SwitchRole also `SwitchFrom`) to confirm the sign-in, the ' +
      'source IP and the browser.',
    'Review what the session did: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,' +
      'AttributeValue=<user or role session name> --start-time <sign-in time>` in the account and its home Region.',
    'If it was not them: for an IAM user reset the password (`aws iam update-login-profile --user-name <user> ' +
      '--password-reset-required`); for a role session revoke older sessions (`aws iam put-role-policy --role-name ' +
      '<role> --policy-name AWSRevokeOlderSessions --policy-document file://revoke.json` with a `DateLessThan ' +
      'aws:TokenIssueTime` deny) and disable the user at the identity provider / IAM Identity Center.',
    'If out-of-hours work is routine for this team (on-call, another office), add its window to `businessHours` ' +
      'or a dated, reasoned suppression for the people concerned, rather than ignoring the findings.',
  ],
  rationale:
    'No threshold: on a high-criticality account a single sign-in at an hour nobody should be working is worth a ' +
    'look (A.8.16 monitoring for anomalous behaviour; A.8.5 because it is how stolen credentials are used while ' +
    'the owner sleeps). Only high-criticality accounts, so severity is high everywhere it can fire; elsewhere the ' +
    'volume would drown the signal. SwitchRole is included because switching into production from a session in ' +
    'another account starts a console session there without a ConsoleLogin in that account. GetSigninToken is ' +
    'not: it only issues a federation token (often by a broker or the Identity Center portal), and the sign-in ' +
    'that uses it is recorded as a ConsoleLogin, so selecting both would report one sign-in twice. Windows are ' +
    'read in their own time zone through Intl, so daylight-saving changes move the UTC boundaries as they should.',
  falsePositives: [
    'On-call engineers responding to an incident at night (expected to be reviewed, not suppressed).',
    'People working from another time zone than the configured windows: add a window for their office.',
    'Travel, or someone finishing work shortly after the end of the window.',
  ],
  cases: () => [
    {
      name: 'sign-in at 03:00 London time on a Monday',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-02T03:00:00Z'),
    },
    {
      name: 'sign-in at 10:00 London time on a Monday is within business hours',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-02T10:00:00Z'),
    },
    {
      name: 'sign-in on Saturday 10:00 when only Monday to Friday are configured',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-07T10:00:00Z'),
    },
    {
      name: 'sign-in at 03:00 on a medium-criticality account',
      expect: 'no-match',
      criticality: 'medium',
      config: londonHours,
      event: loginAt('2026-11-02T03:00:00Z'),
    },
    {
      name: 'failed sign-in at 03:00 is not access',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: fixture('signin/ConsoleLogin-failure', { eventTime: '2026-11-02T03:00:00Z' }),
    },
    {
      name: 'no business hours configured: never matches',
      expect: 'no-match',
      criticality: 'high',
      event: loginAt('2026-11-02T03:00:00Z'),
    },
    {
      name: 'IAM Identity Center sign-in at 03:00',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: fixture('signin/ConsoleLogin-sso', { eventTime: '2026-11-02T03:00:00Z' }),
    },
    {
      name: 'switching role into the account at 03:00',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: fixture('signin/SwitchRole', { eventTime: '2026-11-02T03:00:00Z' }),
    },
    {
      name: 'switching role into the account at 10:00',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: fixture('signin/SwitchRole', { eventTime: '2026-11-02T10:00:00Z' }),
    },
    {
      name: 'summer: 07:30 UTC is 08:30 BST, inside the London window',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-07-06T07:30:00Z'),
    },
    {
      name: 'winter: 07:30 UTC is 07:30 GMT, before the London window',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-02T07:30:00Z'),
    },
    {
      name: 'summer: 17:30 UTC is 18:30 BST, after the London window',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-07-06T17:30:00Z'),
    },
    {
      name: 'winter: 17:30 UTC is 17:30 GMT, inside the London window',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-02T17:30:00Z'),
    },
    {
      name: 'the window end is exclusive: 18:00 London is outside',
      expect: 'match',
      criticality: 'high',
      config: londonHours,
      event: loginAt('2026-11-02T18:00:00Z'),
    },
    {
      name: 'evening in London but inside the New York office window',
      expect: 'no-match',
      criticality: 'high',
      config: { businessHours: [LONDON, NEW_YORK] },
      event: loginAt('2026-11-02T20:00:00Z'),
    },
    {
      name: 'CheckMfa at 03:00 is a sibling event the rule does not select',
      expect: 'no-match',
      criticality: 'high',
      config: londonHours,
      event: fixture('signin/CheckMfa', { eventTime: '2026-11-02T03:00:00Z' }),
    },
  ],
};
