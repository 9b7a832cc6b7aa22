import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

/** CloudTrail wraps the EC2 query parameters in `ModifyInstanceMetadataOptionsRequest`. */
const requestOf = (e: CloudTrailRecord): JsonObject => {
  const request = param(e.requestParameters, 'ModifyInstanceMetadataOptionsRequest');
  return isJsonObject(request) ? request : {};
};

/** `optional` lets a plain GET (an SSRF) read the role's credentials; the value is case-insensitive to EC2. */
const allowsV1 = (e: CloudTrailRecord): boolean => {
  const tokens = requestOf(e).HttpTokens;
  return typeof tokens === 'string' && tokens.trim().toLowerCase() === 'optional';
};

const instanceOf = (e: CloudTrailRecord): string => {
  const id = requestOf(e).InstanceId;
  return typeof id === 'string' ? id : 'unknown-instance';
};

export const rule = defineRule({
  id: 'ec2.imds-v1-enabled',
  title: 'EC2 instance metadata opened to IMDSv1 (tokens optional)',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.9', 'A.8.5'],
  mitre: ['T1552.005', 'T1562.001'],
  on: { source: 'ec2', eventNames: ['ModifyInstanceMetadataOptions'] },
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && allowsV1(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `instance ${instanceOf(e)} accepts IMDSv1 again (HttpTokens optional): an SSRF can read its role credentials`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${e.awsRegion}|${instanceOf(e)}` },
  resources: (e) => [resourceArn(e, 'ec2', `instance/${instanceOf(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "An instance's metadata options were changed to accept IMDSv1 (`HttpTokens: optional`) outside the approved " +
    'process. IMDSv2 needs a PUT-issued session token that a server-side request forgery cannot obtain; with ' +
    "IMDSv1 one GET to 169.254.169.254 returns the instance role's temporary credentials.",
  runbook: [
    'Require tokens again: `aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required ' +
      '--http-endpoint enabled --region <region>`.',
    "Look for the instance role's credentials used from outside the instance since the change (CloudTrail " +
      '`userIdentity.arn` of the role session with a source IP that is not the instance or its NAT).',
    'Enforce IMDSv2 with an SCP on `ec2:MetadataHttpTokens` and the account default ' +
      '(`aws ec2 modify-instance-metadata-defaults --http-tokens required`).',
  ],
  rationale:
    'Downgrading to IMDSv1 is the preparation step for SSRF credential theft (the Capital One breach path); Elastic ' +
    'detects it (defense_evasion_ec2_imdsv1_enabled). One call is enough. Medium, high on high-criticality accounts; ' +
    'setting tokens back to required, or changing only the hop limit or endpoint, is not matched.',
  falsePositives: [
    'A legacy application or agent that cannot use IMDSv2: record the exception and make the change through the ' +
      'approved deployment role.',
  ],
  cases: () => [
    { name: 'tokens made optional from the CLI', expect: 'match', event: fixture('ec2/ModifyInstanceMetadataOptions') },
    {
      name: 'tokens made optional, lower-case value accepted by EC2',
      expect: 'match',
      event: fixture('ec2/ModifyInstanceMetadataOptions', {
        requestParameters: { ModifyInstanceMetadataOptionsRequest: { HttpTokens: 'OPTIONAL' } },
      }),
    },
    {
      name: 'tokens required (IMDSv2 enforced) is the fix, not the attack',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceMetadataOptions', {
        requestParameters: { ModifyInstanceMetadataOptionsRequest: { HttpTokens: 'required' } },
      }),
    },
    {
      name: 'only the hop limit changed (HttpTokens not sent keeps the current state)',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceMetadataOptions', {
        requestParameters: {
          ModifyInstanceMetadataOptionsRequest: { HttpTokens: null, HttpPutResponseHopLimit: 2 },
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'ec2/ModifyInstanceMetadataOptions',
        denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceMetadataOptions'),
      ),
    },
    {
      name: 'approved pipeline',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceMetadataOptions', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
