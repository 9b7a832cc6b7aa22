import { accountOf, actorArn } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/**
 * User-agent marks of offensive tools, as each sets them (case-sensitive, matched anywhere in the string): the one
 * list to extend. Only marks seen in published records: TruffleHog's key verification calls GetCallerIdentity as
 * `TruffleHog` (Sigma aws_cloudtrail_pua_trufflehog), and Stratus Red Team prefixes every call with
 * `stratus-red-team_<uuid>`, also inside Terraform's user agent when it sets up a technique. The AWS CLI and SDKs
 * on Kali Linux, the attack distribution, name it twice: `md/distrib#kali.<year>` (Mandiant's Bybit report,
 * `distrib#kali.2024`) and the kernel in `os/linux#6.19.14+kali-amd64` (a published CloudTrail record); SDKs without
 * the distrib field carry only the kernel (Elastic initial_access_suspicious_user_agent_detected_in_cloudtrail).
 */
export const OFFENSIVE_TOOLS = ['TruffleHog', 'stratus-red-team_', 'distrib#kali', 'kali-amd64', 'kali-arm64'] as const;

const toolOf = (agent: string | undefined): string | undefined =>
  OFFENSIVE_TOOLS.find((mark) => (agent ?? '').includes(mark));

export const rule = defineRule({
  id: 'account.offensive-tool-used',
  title: 'Call made by an offensive tool or from Kali Linux (user agent)',
  severity: 'high',
  controls: ['A.8.16', 'A.8.2'],
  mitre: ['T1552.001', 'T1078.004'],
  // Every service and event, narrowed to these user agents by EventBridge itself (wildcard patterns).
  on: { source: '*', eventNames: '*', where: { userAgentContains: OFFENSIVE_TOOLS } },
  // Stateless and a plain substring test: no counter, no DynamoDB write unless it matches.
  match: (e) => toolOf(e.userAgent) !== undefined,
  explain: (e) => [
    `user agent ${JSON.stringify((e.userAgent ?? '').slice(0, 200))} names ${toolOf(e.userAgent) ?? 'an offensive tool'}`,
    'a user agent is set by the caller: its presence is strong, its absence proves nothing',
    ...(e.errorCode ? [`the call was refused (${e.errorCode}): the credentials were still tried`] : []),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}|${toolOf(e.userAgent) ?? ''}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A call, successful or refused, whose user agent names an offensive tool: TruffleHog checking whether a leaked ' +
    'access key works (the first call after a key leaks, reported in the Crimson Collective intrusions), the AWS CLI ' +
    'or an SDK running on Kali Linux (the attack distribution; the Bybit intruders’ recon carried `distrib#kali.2024`), ' +
    'or Stratus Red Team detonating an attack technique. The credentials it used are in someone else’s hands, or a ' +
    'simulation is running.',
  runbook: [
    'Identify the credentials: the finding’s actor and `accessKeyId`. For an IAM user key, deactivate it now (`aws iam update-access-key --user-name <user> --access-key-id <key> --status Inactive`) unless the security team confirms its own scan.',
    'Find where the key leaked (code repositories, CI logs, images) and everything it did: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=<key>` in every region.',
    'For Stratus Red Team, confirm the exercise with whoever runs it and that it ran in a test account.',
  ],
  rationale:
    'Sigma aws_cloudtrail_pua_trufflehog; Elastic initial_access_suspicious_user_agent_detected_in_cloudtrail adds the Kali marks (`distrib#kali`, `kali-amd64`, `kali-arm64`), which the AWS CLI and SDKs set themselves. One call is enough and the tool says so itself, so high on its own; refused ' +
    'calls count too (a key tried is a key leaked). The user agent is chosen by the caller: a careful intruder sets a ' +
    'normal one (Pacu can), so this catches the careless and the automated, and its silence proves nothing. Cost: ' +
    'EventBridge passes only calls with these marks (wildcard patterns on userAgent), and the predicate is a ' +
    'substring test with no counter, so ordinary traffic adds neither DynamoDB writes nor noticeable scan time. The ' +
    'list holds only marks seen in published records.',
  falsePositives: [
    'The security team’s own TruffleHog scans that verify found keys, sanctioned Stratus Red Team exercises and penetration tests run from Kali: suppress per account or principal with a dated reason.',
  ],
  cases: () => [
    {
      name: 'TruffleHog verifies a leaked key',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-trufflehog'),
    },
    {
      name: 'Stratus Red Team through Terraform',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-trufflehog', {
        userAgent:
          'APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 aws-sdk-go/1.49.13 (go1.21.5; linux; amd64) stratus-red-team_83c9a458-ffab-4d43-8b02-9691311e8c0a HashiCorp-terraform-exec/0.17.3',
      }),
    },
    {
      name: 'a refused call by TruffleHog (the key was still tried)',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-trufflehog', {
        errorCode: 'InvalidClientTokenId',
        errorMessage: 'The security token included in the request is invalid.',
      }),
    },
    {
      name: 'the AWS CLI on Kali Linux (distrib and kernel marks), a refused S3 listing',
      expect: 'match',
      event: fixture('s3/ListObjects-kali-denied'),
    },
    {
      name: 'boto3 on an ARM Kali kernel without the distrib field',
      expect: 'match',
      event: fixture('sts/GetCallerIdentity-trufflehog', {
        userAgent:
          'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.11.2+kali-arm64 md/arch#aarch64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36',
      }),
    },
    {
      name: 'the AWS CLI on Ubuntu',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-trufflehog', {
        userAgent:
          'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.1 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.ls',
      }),
    },
    {
      name: 'the AWS CLI checking who it is',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-trufflehog', {
        userAgent:
          'aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.1 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/command#sts.get-caller-identity',
      }),
    },
    {
      name: 'a different case is a different string (user agents are matched as sent)',
      expect: 'no-match',
      event: fixture('sts/GetCallerIdentity-trufflehog', { userAgent: 'trufflehog-lookalike' }),
    },
  ],
};
