import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, isSuccess, principalArn, stringParam } from '../core/cloudtrail.ts';
import { FLEET_REQUESTS, instanceTypesPutToWork, unusualInstanceTypes } from '../core/compute.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { denied } from '../fixtures/overrides.ts';

/** The GPU launch of the cases, made by the developer of the RunInstances fixture. */
const gpuLaunch = (type: string) =>
  fixture('ec2/RunInstances', {
    requestParameters: { instanceType: type },
    responseElements: {
      instancesSet: {
        items: [
          {
            instanceId: 'i-0abc1234def567890',
            imageId: 'ami-0123456789abcdef0',
            instanceState: { code: 0, name: 'pending' },
            instanceType: type,
            placement: { availabilityZone: 'eu-west-1a', tenancy: 'default' },
          },
        ],
      },
    },
  });

/** A resize names the instance it stops being ordinary; a launch's instances are in its response. */
const resizedInstance = (e: CloudTrailRecord): string | undefined =>
  e.eventName === 'ModifyInstanceAttribute' ? stringParam(e.requestParameters, 'instanceId') : undefined;

/** The resize of the cases: alice turns an existing instance into `type`. */
const resize = (type: string) =>
  fixture('ec2/ModifyInstanceAttribute-instanceType', { requestParameters: { instanceType: { value: type } } });

export const rule = defineRule({
  id: 'ec2.unusual-instance-type-launched',
  title: 'GPU or unusually large instance type launched, asked for as spot, or resized to',
  severity: 'high',
  escalation: { low: 'medium' },
  controls: ['A.5.23', 'A.8.16'],
  mitre: ['T1496.001', 'T1578.002'],
  on: { source: 'ec2', eventNames: ['RunInstances', ...FLEET_REQUESTS, 'ModifyInstanceAttribute'] },
  // The types the request names and those the response shows (launch templates name none in the request), or the
  // type a ModifyInstanceAttribute resizes to (any other attribute names none). Refused launches are
  // ec2.compute-abuse-refused: a refused call launched nothing, whatever its response says.
  match: (e, ctx) => isSuccess(e) && unusualInstanceTypes(e, instanceTypesPutToWork(e), ctx.config).length > 0,
  explain: (e, ctx) => {
    const instance = resizedInstance(e);
    return [
      ...unusualInstanceTypes(e, instanceTypesPutToWork(e), ctx.config),
      instance !== undefined
        ? `${instance} was resized: it runs as this type, and bills as it, from its next start`
        : (FLEET_REQUESTS as readonly string[]).includes(e.eventName)
          ? `${e.eventName} accepted: the capacity launches as soon as it is found, and bills from then`
          : 'the launch succeeded: the instances are running and billing',
    ];
  },
  resources: (e) => {
    const instance = resizedInstance(e);
    return [
      ...(instance === undefined ? [] : [resourceArn(e, 'ec2', `instance/${instance}`)]),
      ...instanceTypesPutToWork(e).map((t) => resourceArn(e, 'ec2', `instance-type/${t}`, '')),
    ];
  },
  dedup: {
    // A resized instance folds with its own repeats only: resizing a second instance is a second finding.
    key: (e) => {
      const instance = resizedInstance(e);
      const base = `${accountOf(e)}|${principalArn(e)}|${instanceTypesPutToWork(e).sort().join(',')}`;
      return instance === undefined ? base : `${base}|${instance}`;
    },
    windowSeconds: 3600,
  },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'RunInstances asked for, or launched, an instance type on the watch list, a spot or fleet request asked for one ' +
    '(RequestSpotInstances, RequestSpotFleet, CreateFleet), or ModifyInstanceAttribute resized ' +
    'an existing (stopped) instance to one: GPU and accelerator families ' +
    '(p*, g*, inf*, trn*, dl*, f1/f2, vt1), memory giants (x1, x2, u-) and the largest sizes (*.24xlarge and up), ' +
    'outside the accounts and types approved for them (compute.approvedAccounts, compute.approvedInstanceTypes). ' +
    'Refused attempts are ec2.compute-abuse-refused.',
  runbook: [
    'Ask the principal in the finding whether it launched the type; a CI or app role that never launches GPUs has been taken over.',
    'For a resize, find the StopInstances / StartInstances around it by the same principal and the type the instance had before (`aws ec2 describe-instances --instance-ids <id>`; earlier ModifyInstanceAttribute or the launch); put it back unless the owner planned the change.',
    'If it ran: stop the instances (`aws ec2 stop-instances`), snapshot the root volume for forensics, then terminate; check every region for more (`aws ec2 describe-instances --filters Name=instance-type,Values=p*,g*`).',
    "Rotate the credentials used and review the principal's other calls since the session began; raise the account's GPU vCPU quota to 0 where no GPUs are needed (Service Quotas).",
    'If the launch is legitimate ML or rendering work, approve its account or exact type in compute config.',
  ],
  rationale:
    'Cryptojacking and self-hosted LLM abuse launch GPU or the largest instances first (Datadog, Sysdig and ' +
    'Permiso incident reports; Stratus aws.execution.ec2-launch-unusual-instances). The watch list is a default ' +
    'a team can replace; legitimate ML teams are approved by account (their training accounts) or by exact type, ' +
    'so GPUs stay unusual everywhere else. Resizing an instance (stop, ModifyInstanceAttribute instanceType, ' +
    'start) is the same abuse without a RunInstances, on an instance that already passed every launch check, so it ' +
    'counts like a launch; so do spot and fleet requests, the cheapest way to mine (any type the request or its ' +
    'response names, at any depth; a fleet that takes its type only from a launch template names none). One launch is a finding; repeats by the same principal for the same types fold for an ' +
    'hour (a resize per instance). High (runaway cost and ' +
    'a taken-over principal); medium on low-criticality sandboxes.',
  falsePositives: [
    'A data-science team trying GPUs in an account not yet approved: approve the account or the type.',
    'Auto Scaling or Karpenter launching a new GPU node group (the launch is recorded under the service role): approve the account.',
    'A right-sizing change that moves a database or batch host to a *.24xlarge: approve the exact type.',
  ],
  cases: () => [
    { name: 'a p5.48xlarge launched', expect: 'match', event: gpuLaunch('p5.48xlarge') },
    {
      name: 'a launch template that turned out to launch g5 instances (type only in the response)',
      expect: 'match',
      event: fixture('ec2/RunInstances-launch-template', {
        responseElements: {
          instancesSet: { items: [{ instanceId: 'i-0bcd2345ef6789012', instanceType: 'g5.2xlarge' }] },
        },
      }),
    },
    {
      name: 'a CPU miner on the largest compute size',
      expect: 'match',
      event: gpuLaunch('c7i.48xlarge'),
    },
    { name: 'an ordinary t3.micro', expect: 'no-match', event: fixture('ec2/RunInstances') },
    {
      name: 'twenty g4dn.12xlarge asked for as spot instances (RequestSpotInstances)',
      expect: 'match',
      event: fixture('ec2/RequestSpotInstances-gpu'),
    },
    {
      name: 'an EC2 Fleet of p3 and g5 spot capacity (CreateFleet, type only in the overrides)',
      expect: 'match',
      event: fixture('ec2/CreateFleet-gpu'),
    },
    {
      name: 'a Spot Fleet whose launch specifications name a GPU type (RequestSpotFleet)',
      expect: 'match',
      event: fixture('ec2/RequestSpotInstances-gpu', {
        eventName: 'RequestSpotFleet',
        requestParameters: {
          spotPrice: undefined,
          instanceCount: undefined,
          type: undefined,
          launchSpecification: undefined,
          spotFleetRequestConfig: {
            iamFleetRole: 'arn:aws:iam::111122223333:role/aws-ec2-spot-fleet-tagging-role',
            targetCapacity: 10,
            launchSpecifications: [{ imageId: 'ami-0123456789abcdef0', instanceType: 'p4d.24xlarge' }],
          },
        },
        responseElements: { spotFleetRequestId: 'sfr-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
      }),
    },
    {
      name: 'ordinary spot capacity (t3.large)',
      expect: 'no-match',
      event: fixture('ec2/RequestSpotInstances-gpu', {
        requestParameters: { launchSpecification: { instanceType: 't3.large' } },
        responseElements: null,
      }),
    },
    {
      name: 'a refused spot request (nothing launched)',
      expect: 'no-match',
      event: fixture(
        'ec2/RequestSpotInstances-gpu',
        denied('Client.UnauthorizedOperation', 'ec2:RequestSpotInstances'),
      ),
    },
    { name: 'an instance resized to p4d.24xlarge', expect: 'match', event: resize('p4d.24xlarge') },
    {
      name: 'a resize in the CLI form --attribute instanceType --value g5.12xlarge',
      expect: 'match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        requestParameters: { instanceType: undefined, attribute: 'instanceType', value: 'g5.12xlarge' },
      }),
    },
    { name: 'an instance resized to an ordinary m7i.large', expect: 'no-match', event: resize('m7i.large') },
    {
      name: 'a resize refused',
      expect: 'no-match',
      event: fixture(
        'ec2/ModifyInstanceAttribute-instanceType',
        denied('Client.UnauthorizedOperation', 'ec2:ModifyInstanceAttribute'),
      ),
    },
    {
      name: 'a resize of a running instance refused by EC2 (an error, nothing changed)',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-instanceType', {
        errorCode: 'Client.IncorrectInstanceState',
        errorMessage: "The instance 'i-0a1b2c3d4e5f60718' is not in the 'stopped' state.",
        responseElements: null,
      }),
    },
    {
      name: 'user data replaced: another attribute, no type',
      expect: 'no-match',
      event: fixture('ec2/ModifyInstanceAttribute-userData'),
    },
    {
      name: 'a resize to a GPU type approved for the render farm',
      expect: 'no-match',
      event: resize('g4dn.xlarge'),
      config: { compute: { approvedInstanceTypes: ['g4dn.*'] } },
    },
    {
      name: 'a refused p2.xlarge launch (ec2.compute-abuse-refused judges attempts)',
      expect: 'no-match',
      event: fixture('ec2/RunInstances-gpu-denied'),
    },
    {
      name: 'the ML training account is approved',
      expect: 'no-match',
      event: gpuLaunch('p5.48xlarge'),
      config: { compute: { approvedAccounts: ['111122223333'] } },
    },
    {
      name: 'the render farm type is approved everywhere',
      expect: 'no-match',
      event: gpuLaunch('g4dn.xlarge'),
      config: { compute: { approvedInstanceTypes: ['g4dn.*'] } },
    },
  ],
};
