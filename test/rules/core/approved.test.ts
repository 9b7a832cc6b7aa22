import { describe, expect, it } from 'vitest';
import { isApprovedChange } from '../../../rules/core/approved.ts';
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
});
