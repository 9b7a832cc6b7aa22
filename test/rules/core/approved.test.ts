import { describe, expect, it } from 'vitest';
import { changeTicket, isApprovedChange, isUnapprovedChange, unapprovedReasons } from '../../../rules/core/approved.ts';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';

const deployRole = 'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1';
const call = (arn: string, type: string, userAgent?: string): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'PutRolePolicy',
  eventID: 'e1',
  awsRegion: 'us-east-1',
  userAgent,
  userIdentity:
    type === 'AssumedRole'
      ? {
          type,
          arn: `${arn.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session`,
          sessionContext: { sessionIssuer: { type: 'Role', arn } },
        }
      : { type, arn },
});

describe('isApprovedChange', () => {
  const approved = {
    automationRoles: ['arn:aws:iam::*:role/cdk-*-cfn-exec-role-*'],
    iacUserAgents: ['cloudformation.amazonaws.com', 'aws-cdk'],
  };

  it.each([
    [
      'approved role through CloudFormation',
      call(deployRole, 'AssumedRole', 'cloudformation.amazonaws.com'),
      approved,
      true,
    ],
    ['approved role by hand from the console', call(deployRole, 'AssumedRole', 'AWS Internal'), approved, false],
    [
      'a person using the IaC tool',
      call('arn:aws:iam::111122223333:user/alice', 'IAMUser', 'aws-cdk/2.150.0'),
      approved,
      false,
    ],
    [
      'approved role, no IaC agents configured',
      call(deployRole, 'AssumedRole', 'anything'),
      { ...approved, iacUserAgents: [] },
      true,
    ],
    [
      'nothing configured approves nothing',
      call(deployRole, 'AssumedRole', 'aws-cdk'),
      { automationRoles: [], iacUserAgents: [] },
      false,
    ],
    ['missing user agent with agents configured', call(deployRole, 'AssumedRole'), approved, false],
  ] as const)('%s', (_name, record, config, expected) => {
    expect(isApprovedChange(record, config)).toBe(expected);
  });

  const windowed = {
    ...approved,
    changeWindows: [{ days: ['Tue', 'Thu'], start: '09:00', end: '11:30', timezone: 'Europe/Berlin' }] as const,
  };
  // 2026-11-03 is a Tuesday; Berlin is UTC+1 in November.
  const at = (eventTime: string) => ({ ...call(deployRole, 'AssumedRole', 'cloudformation.amazonaws.com'), eventTime });

  it.each([
    ['inside the window (10:00 Berlin)', '2026-11-03T09:00:00Z', true],
    ['at the start, inclusive (09:00 Berlin)', '2026-11-03T08:00:00Z', true],
    ['at the end, exclusive (11:30 Berlin)', '2026-11-03T10:30:00Z', false],
    ['before it (08:59 Berlin)', '2026-11-03T07:59:00Z', false],
    ['on a day without a window (Wednesday)', '2026-11-04T09:00:00Z', false],
  ])('change window: %s', (_name, eventTime, expected) => {
    expect(isApprovedChange(at(eventTime), windowed)).toBe(expected);
  });

  it('names every reason a change was not approved, window included', () => {
    const e = {
      ...call('arn:aws:iam::111122223333:user/alice', 'IAMUser', 'aws-cli/2.15.0'),
      eventTime: '2026-11-04T22:00:00Z',
    };
    expect(unapprovedReasons(e, windowed)).toEqual([
      'arn:aws:iam::111122223333:user/alice is not an approved automation role',
      'user agent "aws-cli/2.15.0" is not an approved IaC tool',
      '2026-11-04T22:00:00Z is outside every change window (Tue,Thu 09:00-11:30 Europe/Berlin)',
    ]);
  });
});

describe('isUnapprovedChange', () => {
  const approved = { automationRoles: [deployRole], iacUserAgents: ['cloudformation.amazonaws.com'] };
  const byHand = call('arn:aws:iam::111122223333:user/alice', 'IAMUser', 'aws-cli/2.15.0');
  const viaStack = call(deployRole, 'AssumedRole', 'cloudformation.amazonaws.com');

  it.each<[string, CloudTrailRecord, boolean]>([
    ['a person changing something by hand', byHand, true],
    ['the approved role through CloudFormation', viaStack, false],
    ['a call that failed changed nothing', { ...byHand, errorCode: 'AccessDenied' }, false],
    ['an empty error code is a success', { ...byHand, errorCode: '' }, true],
    [
      'AWS acting on its own',
      { ...byHand, userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } },
      false,
    ],
    [
      'CloudFormation acting for a caller is still someone',
      {
        ...byHand,
        userIdentity: {
          type: 'IAMUser',
          arn: 'arn:aws:iam::111122223333:user/alice',
          invokedBy: 'cloudformation.amazonaws.com',
        },
      },
      true,
    ],
  ])('%s', (_name, e, expected) => {
    expect(isUnapprovedChange(e, approved)).toBe(expected);
  });
});

describe('change tickets (approved.ticketPattern)', () => {
  const approved = {
    automationRoles: ['arn:aws:iam::*:role/deploy-role'],
    iacUserAgents: [],
    ticketPattern: '^(CHG|INC)-\\d+',
  };
  const role = 'arn:aws:iam::111122223333:role/deploy-role';
  const session = (name: string, sourceIdentity?: string): CloudTrailRecord => ({
    ...call(role, 'AssumedRole'),
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::111122223333:assumed-role/deploy-role/${name}`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: role }, ...(sourceIdentity ? { sourceIdentity } : {}) },
    },
  });

  it('approves the approved role when its session name carries a ticket', () => {
    expect(changeTicket(session('CHG-4711'), approved.ticketPattern)).toEqual({
      ticket: 'CHG-4711',
      where: 'role session name',
    });
    expect(isApprovedChange(session('CHG-4711'), approved)).toBe(true);
  });

  it('finds the ticket in sourceIdentity', () => {
    expect(changeTicket(session('botocore-session-1', 'INC-12'), approved.ticketPattern)).toEqual({
      ticket: 'INC-12',
      where: 'sourceIdentity',
    });
  });

  it('finds it in the session tags an AssumeRole asks for', () => {
    const assume: CloudTrailRecord = {
      ...call('arn:aws:iam::111122223333:user/alice', 'IAMUser'),
      eventSource: 'sts.amazonaws.com',
      eventName: 'AssumeRole',
      requestParameters: { roleSessionName: 'alice', tags: [{ key: 'change', value: 'CHG-88' }] },
    };
    expect(changeTicket(assume, approved.ticketPattern)).toEqual({ ticket: 'CHG-88', where: 'session tag change' });
  });

  it('says that none was seen: the approved role without a ticket is not the approved process', () => {
    expect(unapprovedReasons(session('deploy-1730562291'), approved)).toEqual([
      'no change ticket matching /^(CHG|INC)-\\d+/ in the role session name, sourceIdentity or session tags',
    ]);
  });

  it('names the ticket it saw when the change is unapproved for another reason', () => {
    const alice: CloudTrailRecord = {
      ...call('arn:aws:iam::111122223333:role/admin', 'AssumedRole'),
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::111122223333:assumed-role/admin/CHG-9',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/admin' } },
      },
    };
    expect(unapprovedReasons(alice, approved)).toEqual([
      'arn:aws:iam::111122223333:role/admin is not an approved automation role',
      'change ticket CHG-9 seen in the role session name',
    ]);
  });

  it('without a pattern, tickets are not required', () => {
    const { ticketPattern: _none, ...noTickets } = approved;
    expect(isApprovedChange(session('deploy-1'), noTickets)).toBe(true);
  });
});

describe('approved-process edges', () => {
  const role = 'arn:aws:iam::111122223333:role/deploy-role';
  const approved = { automationRoles: [role], iacUserAgents: ['cloudformation.amazonaws.com'] };

  it('quotes a missing user agent as empty', () => {
    expect(unapprovedReasons(call(role, 'AssumedRole'), approved)).toEqual([
      'user agent "" is not an approved IaC tool',
    ]);
  });

  it('lists every change window when a change falls outside all of them', () => {
    const windows = [
      { days: ['Mon'], start: '09:00', end: '10:00', timezone: 'UTC' },
      { days: ['Fri'], start: '14:00', end: '15:00', timezone: 'UTC' },
    ] as const;
    const e = { ...call(role, 'AssumedRole', 'cloudformation.amazonaws.com'), eventTime: '2026-11-04T12:00:00Z' };
    expect(unapprovedReasons(e, { ...approved, changeWindows: windows })).toEqual([
      '2026-11-04T12:00:00Z is outside every change window (Mon 09:00-10:00 UTC; Fri 14:00-15:00 UTC)',
    ]);
  });
});

describe('change ticket places', () => {
  const pattern = '^(CHG|INC)-\\d+';
  const base = call('arn:aws:iam::111122223333:user/alice', 'IAMUser');
  const assume = (requestParameters: CloudTrailRecord['requestParameters']): CloudTrailRecord => ({
    ...base,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    requestParameters,
  });

  it.each<[string, CloudTrailRecord['requestParameters'], { ticket: string; where: string }]>([
    [
      'the session name an AssumeRole asks for',
      { roleSessionName: 'CHG-5' },
      { ticket: 'CHG-5', where: 'requested role session name' },
    ],
    [
      'the sourceIdentity an AssumeRole asks for',
      { sourceIdentity: 'INC-7' },
      { ticket: 'INC-7', where: 'requested sourceIdentity' },
    ],
    [
      'the first tag with a name, skipping entries that are not tags',
      { tags: ['CHG-1', null, { key: 5, value: 'CHG-2' }, { value: 'CHG-4' }, { key: 'change', value: 'CHG-3' }] },
      { ticket: 'CHG-3', where: 'session tag change' },
    ],
  ])('finds a ticket in %s', (_name, requestParameters, sighting) => {
    expect(changeTicket(assume(requestParameters), pattern)).toEqual(sighting);
  });

  it('reads request parameters as session places only on STS calls', () => {
    const notSts: CloudTrailRecord = {
      ...base,
      requestParameters: { roleSessionName: 'CHG-5', sourceIdentity: 'CHG-6' },
    };
    expect(changeTicket(notSts, pattern)).toBeUndefined();
  });

  it('takes only strings as tickets: a list or number that reads like one is not', () => {
    const e = assume({ roleSessionName: ['CHG-1'], sourceIdentity: 4711, tags: [{ key: 'change', value: ['CHG-2'] }] });
    expect(changeTicket(e, pattern)).toBeUndefined();
    expect(changeTicket(e, '^\\d+$')).toBeUndefined();
  });

  it('never matches a place the session does not carry, whatever the pattern', () => {
    expect(changeTicket(base, 'undefined')).toBeUndefined();
  });

  it('a bad pattern finds nothing rather than throwing', () => {
    expect(changeTicket(assume({ roleSessionName: 'CHG-5' }), '(CHG')).toBeUndefined();
  });

  it('takes the session name only from a well-formed assumed-role ARN', () => {
    const e: CloudTrailRecord = {
      ...base,
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/CHG-1\nforged' },
    };
    expect(changeTicket(e, pattern)).toBeUndefined();
  });
});
