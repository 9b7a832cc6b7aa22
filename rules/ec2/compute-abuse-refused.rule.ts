import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, parametersNotRecorded, principalArn, stringParam } from '../core/cloudtrail.ts';
import {
  knownBadKeyPairName,
  requestedInstanceType,
  resizedInstanceType,
  unusualInstanceTypes,
} from '../core/compute.ts';
import { defineRule, PARAMETERS_ABSENT_NOTE } from '../core/define-rule.ts';
import type { RuleContext, RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/**
 * A refused call launched and created nothing: only what it asked for counts, never its response. A resize
 * (ModifyInstanceAttribute) asks in either of its spellings; any other attribute it changes asks for no type.
 */
const askedType = (e: CloudTrailRecord): string[] => {
  const t = e.eventName === 'ModifyInstanceAttribute' ? resizedInstanceType(e) : requestedInstanceType(e);
  return t === undefined ? [] : [t];
};

const LAUNCHES: ReadonlySet<string> = new Set(['RunInstances', 'ModifyInstanceAttribute']);
const askedKeyName = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'keyName');

/** CloudTrail omits parameters it cannot record; a refused call that hides what it asked for is judged dangerous. */
/** Missing, null, or CloudTrail's `omitted` marker for an oversized request. */
const unrecorded = (e: CloudTrailRecord): boolean => parametersNotRecorded(e);

/** Why the refused call is a probe; empty when it asked for nothing on the lists. */
const probes = (e: CloudTrailRecord, ctx: RuleContext): string[] => {
  if (LAUNCHES.has(e.eventName)) return unusualInstanceTypes(e, askedType(e), ctx.config);
  const bad = knownBadKeyPairName(askedKeyName(e), ctx.config);
  return bad === undefined ? [] : [`key pair name ${JSON.stringify(askedKeyName(e))} is known-bad (${bad})`];
};

export const rule = defineRule({
  id: 'ec2.compute-abuse-refused',
  title: 'Refused attempt: GPU or unusual instance launch or resize, or known-bad key pair',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1496.001', 'T1098.001'],
  on: { source: 'ec2', eventNames: ['RunInstances', 'ModifyInstanceAttribute', 'CreateKeyPair', 'ImportKeyPair'] },
  // One refused call is the whole signal: attackers try stolen keys once or a few times (Stratus launches ten
  // p2.xlarge in one refused call), far below iam.access-denied-burst.
  match: (e, ctx) => !isSuccess(e) && (unrecorded(e) || probes(e, ctx).length > 0),
  explain: (e, ctx) => [
    ...(unrecorded(e)
      ? [
          `${PARAMETERS_ABSENT_NOTE}: what the refused ${e.eventName} asked for is not known, so it is treated as a probe.`,
        ]
      : probes(e, ctx)),
    `refused with ${e.errorCode ?? 'an error'}: nothing was launched or created; the caller's credentials are being tried`,
  ],
  resources: (e) =>
    LAUNCHES.has(e.eventName)
      ? askedType(e).map((t) => resourceArn(e, 'ec2', `instance-type/${t}`, ''))
      : [resourceArn(e, 'ec2', `key-pair/${askedKeyName(e) ?? 'unknown'}`)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${e.eventName}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'RunInstances for a watched instance type (GPU, accelerator, memory giant or largest size, outside approved ' +
    'accounts and types), a resize of a stopped instance to one (ModifyInstanceAttribute `instanceType`, SDK ' +
    '`{ "value": … }` or CLI `attribute`/`value` spelling), or CreateKeyPair / ImportKeyPair with a known-bad name, was refused (access denied, ' +
    'quota, capacity). Someone is trying the compute-abuse playbook with credentials that cannot (yet) do it.',
  runbook: [
    'Identify the principal and where it called from (source IP, user agent); a workload role that never launches instances has been stolen.',
    'Rotate or revoke its credentials, then check whether another principal succeeded shortly after (ec2.unusual-instance-type-launched, ec2.suspicious-key-pair).',
    'If the attempt was a legitimate team hitting a quota, approve its account or type in compute config.',
  ],
  rationale:
    'Stratus aws.execution.ec2-launch-unusual-instances detonates exactly this: ten p2.xlarge in one refused call, ' +
    'invisible to a burst threshold of 20 denials. The successful cases page as high in their own rules; a refusal ' +
    'changed nothing, so it is medium (high on high-criticality accounts). A refused resize to a watched type is ' +
    'the same probe on an instance that already exists (Panther aws_ec2_launch_unusual_ec2_instances reads ' +
    'ModifyInstanceAttribute too); a refused ModifyInstanceAttribute of any other attribute is not. A refused ' +
    'call whose parameters CloudTrail did not record is treated as a probe.',
  falsePositives: [
    'A team whose GPU quota or permission is not in place yet: approve the account or type once the request is granted.',
  ],
  cases: () => [
    {
      name: 'Stratus: a refused RunInstances of ten p2.xlarge',
      expect: 'match',
      event: fixture('ec2/RunInstances-gpu-denied'),
    },
    {
      name: 'a quota refusal for a GPU launch',
      expect: 'match',
      event: fixture('ec2/RunInstances-gpu-denied', {
        errorCode: 'Client.VcpuLimitExceeded',
        errorMessage:
          'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to.',
        requestParameters: { instanceType: 'g5.12xlarge' },
      }),
    },
    {
      name: 'Panther test event: Stratus refused RunInstances of p2.xlarge',
      expect: 'match',
      event: fixture('ec2/RunInstances-panther-refused'),
    },
    {
      name: 'instance type logged as { value } (the shape Panther reads too)',
      expect: 'match',
      event: fixture('ec2/RunInstances-panther-refused', {
        requestParameters: { instanceType: { value: 'p2.xlarge' } },
      }),
    },
    {
      name: 'a refused key pair named xg1',
      expect: 'match',
      event: fixture('ec2/CreateKeyPair', denied('Client.UnauthorizedOperation', 'ec2:CreateKeyPair')),
    },
    {
      name: 'a refused resize of a stopped instance to p4d.24xlarge (SDK spelling)',
      expect: 'match',
      event: fixture(
        'ec2/ModifyInstanceAttribute-instanceType',
        denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
      ),
    },
    {
      name: 'a refused resize in the CLI spelling (attribute instanceType, value)',
      expect: 'match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        ...denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
        requestParameters: { instanceType: undefined, attribute: 'instanceType', value: 'g5.48xlarge' },
      }),
    },
    {
      name: 'a refused resize whose parameters CloudTrail left out (fail safe)',
      expect: 'match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        ...denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
        requestParameters: {
          instanceId: undefined,
          instanceType: undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
      }),
    },
    {
      name: 'a refused resize to an ordinary type',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        ...denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
        requestParameters: { instanceType: { value: 'm5.large' } },
      }),
    },
    {
      name: 'a refused ModifyInstanceAttribute of another attribute (termination protection)',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        ...denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
        requestParameters: { instanceType: undefined, disableApiTermination: { value: false } },
      }),
    },
    {
      name: 'a resize to a GPU type that succeeded (ec2.unusual-instance-type-launched)',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType'),
    },
    {
      name: 'a refused launch of an ordinary type',
      expect: 'no-match',
      event: fixture('ec2/RunInstances-gpu-denied', { requestParameters: { instanceType: 'm5.large' } }),
    },
    {
      name: 'a refused key pair with an ordinary name',
      expect: 'no-match',
      event: fixture('ec2/ImportKeyPair', denied('Client.UnauthorizedOperation', 'ec2:ImportKeyPair')),
    },
    {
      name: 'a GPU launch that succeeded (ec2.unusual-instance-type-launched)',
      expect: 'no-match',
      event: fixture('ec2/RunInstances-gpu-denied', { errorCode: undefined, errorMessage: undefined }),
    },
    {
      name: 'the ML account is approved',
      expect: 'no-match',
      event: fixture('ec2/RunInstances-gpu-denied'),
      config: { compute: { approvedAccounts: ['111122223333'] } },
    },
  ],
};
