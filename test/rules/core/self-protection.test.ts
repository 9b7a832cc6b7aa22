import { describe, expect, it } from 'vitest';
import type { CloudTrailRecord } from '../../../rules/core/cloudtrail.ts';
import type { DetectionConfig } from '../../../rules/core/config.ts';
import { DEFAULT_DETECTION_CONFIG } from '../../../rules/core/config.ts';
import {
  explainSelfTampering,
  isDeployRole,
  isOwnResource,
  isSelfTampering,
} from '../../../rules/core/self-protection.ts';

const deployRole = 'arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-eu-west-1';
const config: DetectionConfig = {
  ...DEFAULT_DETECTION_CONFIG,
  selfProtection: {
    resources: ['Trailwarden-*', 'trailwarden-*', 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-*'],
    deployRoles: ['arn:aws:iam::111122223333:role/cdk-*-cfn-exec-role-*'],
  },
};

const call = (
  principal: string,
  overrides: Partial<CloudTrailRecord> = {},
  type = principal.includes(':role/') ? 'AssumedRole' : 'IAMUser',
): CloudTrailRecord => ({
  eventTime: '2026-11-02T10:00:00Z',
  eventSource: 'lambda.amazonaws.com',
  eventName: 'UpdateFunctionCode20150331v2',
  eventID: 'e1',
  awsRegion: 'eu-west-1',
  userIdentity:
    type === 'AssumedRole'
      ? {
          type,
          arn: `${principal.replace(':iam:', ':sts:').replace(':role/', ':assumed-role/')}/session`,
          sessionContext: { sessionIssuer: { type: 'Role', arn: principal } },
        }
      : { type, arn: principal },
  ...overrides,
});

describe('isOwnResource', () => {
  it.each([
    ['a CloudFormation-named function', ['Trailwarden-PipelineEvaluateFunction1A2B3C-Xy12Ab34Cd56'], true],
    ['a bucket (lower-cased stack name)', ['trailwarden-pipelineevidencebucket1a2b3c-abcdef123456'], true],
    ['the ARN when only the ARN matches', ['orders', 'arn:aws:kms:eu-west-1:111122223333:key/7f3e9a2b-4c1d'], true],
    [
      'any of several candidates',
      ['arn:aws:lambda:eu-west-1:111122223333:function:Trailwarden-X', 'Trailwarden-X'],
      true,
    ],
    ['an unrelated name', ['orders-webhook'], false],
    [
      'a name glob does not match the ARN that contains it',
      ['arn:aws:sqs:eu-west-1:111122223333:Trailwarden-Q'],
      false,
    ],
    ['the prefix without its dash', ['TrailwardenForwarder-Route'], false],
    ['a name that merely contains it', ['my-Trailwarden-copy'], false],
    ['no candidates', [], false],
  ] as const)('%s', (_name, candidates, expected) => {
    expect(isOwnResource(candidates, config)).toBe(expected);
  });

  it('is never true without selfProtection', () => {
    expect(isOwnResource(['Trailwarden-PipelineEvaluateFunction1A2B3C'], DEFAULT_DETECTION_CONFIG)).toBe(false);
  });
});

describe('isDeployRole', () => {
  it.each([
    ['the CloudFormation execution role, assumed', call(deployRole), true],
    ['another role', call('arn:aws:iam::111122223333:role/OrganizationAccountAccessRole'), false],
    ['a user', call('arn:aws:iam::111122223333:user/alice'), false],
    [
      'the execution role of another account',
      call('arn:aws:iam::444455556666:role/cdk-hnb659fds-cfn-exec-role-444455556666-eu-west-1'),
      false,
    ],
  ] as const)('%s', (_name, record, expected) => {
    expect(isDeployRole(record, config)).toBe(expected);
  });

  it('is never true without selfProtection', () => {
    expect(isDeployRole(call(deployRole), DEFAULT_DETECTION_CONFIG)).toBe(false);
  });
});

describe('isSelfTampering', () => {
  const own = ['Trailwarden-PipelineEvaluateFunction1A2B3C-Xy12Ab34Cd56'];
  const alice = 'arn:aws:iam::111122223333:user/alice';
  it.each([
    ['a person changes an own resource', call(alice), own, config, true],
    ['the deploy role changes it', call(deployRole), own, config, false],
    [
      'the deploy role through CloudFormation',
      call(deployRole, { userAgent: 'cloudformation.amazonaws.com' }),
      own,
      config,
      false,
    ],
    [
      'a person through CloudFormation with their own credentials',
      call(alice, { userIdentity: { type: 'IAMUser', arn: alice, invokedBy: 'cloudformation.amazonaws.com' } }),
      own,
      config,
      true,
    ],
    ['a person changes something else', call(alice), ['orders-webhook'], config, false],
    ['the call was denied', call(alice, { errorCode: 'AccessDeniedException' }), own, config, false],
    [
      'AWS acting on its own',
      call(alice, { userIdentity: { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' } }),
      own,
      config,
      false,
    ],
    ['selfProtection not configured', call(alice), own, DEFAULT_DETECTION_CONFIG, false],
    [
      'no deploy roles configured: even CloudFormation is tampering',
      call(deployRole),
      own,
      { ...config, selfProtection: { resources: ['Trailwarden-*'], deployRoles: [] } },
      true,
    ],
  ] as const)('%s', (_name, record, candidates, cfg, expected) => {
    expect(isSelfTampering(record, candidates, cfg)).toBe(expected);
  });
});

describe('explainSelfTampering', () => {
  it('names the resource, the glob and the principal', () => {
    const record = call('arn:aws:iam::111122223333:user/alice');
    expect(explainSelfTampering(record, ['orders', 'trailwarden-pipelineevidencebucket1a2b3c'], config)).toEqual([
      'trailwarden-pipelineevidencebucket1a2b3c is a Trailwarden resource (selfProtection.resources "trailwarden-*")',
      'arn:aws:iam::111122223333:user/alice is not a Trailwarden deploy role (selfProtection.deployRoles)',
    ]);
  });

  it('says nothing about resources that are not Trailwarden', () => {
    expect(explainSelfTampering(call('arn:aws:iam::111122223333:user/alice'), ['orders'], config)).toEqual([]);
  });
});
