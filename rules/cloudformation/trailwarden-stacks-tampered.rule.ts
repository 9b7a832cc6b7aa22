import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/** The StackSet calls name it `stackSetName`; DeleteStack names the stack (`stackName`, a name or an ARN). */
const target = (e: CloudTrailRecord): string =>
  stringParam(e.requestParameters, 'stackSetName') ?? stringParam(e.requestParameters, 'stackName') ?? 'unknown-stack';

/**
 * A StackSet's stack in a member is `StackSet-<stack set name>-<uuid>`: the stack set's name is what the
 * self-protection globs (`trailwarden-*`) know. A stack ARN carries the name between `stack/` and the next `/`.
 */
const candidates = (e: CloudTrailRecord): string[] => {
  const raw = target(e);
  const name = raw.startsWith('arn:') ? (/:stack\/([^/]+)\//.exec(raw)?.[1] ?? raw) : raw;
  const out = [raw, name];
  const fromStackSet = /^StackSet-(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(name)?.[1];
  if (fromStackSet) out.push(fromStackSet);
  return out;
};

export const rule = defineRule({
  id: 'cloudformation.trailwarden-stacks-tampered',
  title: "Trailwarden's stacks or organisation StackSet deleted or changed",
  severity: 'critical',
  controls: ['A.8.15', 'A.8.16'],
  mitre: ['T1562.001', 'T1562.008'],
  // The forwarder rules themselves are `events.trailwarden-rules-tampered`; this covers the stacks that hold them.
  on: {
    source: 'cloudformation',
    eventNames: ['DeleteStack', 'DeleteStackInstances', 'DeleteStackSet', 'UpdateStackSet', 'UpdateStackInstances'],
  },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => explainSelfTampering(e, candidates(e), ctx.config),
  resources: (e) => [target(e)],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${e.eventName}|${target(e)}` },
});

export const docs: RuleDocs = {
  description:
    "One of Trailwarden's CloudFormation stacks (`Trailwarden`, `TrailwardenForwarder`, a member's forwarder " +
    'stack) was deleted, or its organisation StackSet ' +
    '(`trailwarden-member-forwarders`) was deleted, changed, or had stack instances removed or overridden, by ' +
    "someone other than Trailwarden's deploy role. Deleting a member's forwarder stack or its stack instance " +
    'removes the EventBridge rules that bring that account and region to the pipeline: it goes dark.',
  runbook: [
    'Restore the stacks: `npx cdk deploy Trailwarden` re-applies the StackSet (template, targets, regions); a deleted member stack comes back with `aws cloudformation create-stack-instances --stack-set-name trailwarden-member-forwarders --deployment-targets OrganizationalUnitIds=<ou> --regions <region> --call-as <SELF|DELEGATED_ADMIN>`.',
    'Check the StackSet: `aws cloudformation list-stack-instances --stack-set-name trailwarden-member-forwarders --call-as <…>`: every account and region CURRENT.',
    'Replay the gap: from this call to the restore, the affected accounts and regions were unmonitored; scan their trail logs with `trailwarden scan`.',
    'Treat the actor as compromised unless the change is explained, and restrict cloudformation:Delete*/Update* on `trailwarden-*` stacks and stack sets to the deploy role with an SCP.',
  ],
  rationale:
    'Critical on a single call, like every self-protection rule (DESIGN §3, A.8.16): removing the monitor from ' +
    'an account is the step that hides everything after it. CloudFormation acting through the CDK execution role ' +
    '(`cdk deploy`) and StackSets acting on their own (invokedBy) are not reported. Matches only when ' +
    '`detection.selfProtection` is configured (the stack does it for its own resources: `Trailwarden-*`, ' +
    '`trailwarden-*`, and the stacks `Trailwarden` and `TrailwardenForwarder` by exact name).',
  falsePositives: [
    'An administrator removing a region from the StackSet by hand instead of through the config: change `org.regions` and redeploy instead.',
    'Offboarding an account by deleting its stack instance before it leaves the organisation (leaving removes it anyway).',
  ],
  cases: () => [
    {
      name: 'stack instances removed from the organisation StackSet',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden'),
    },
    {
      name: 'the organisation StackSet deleted',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden', {
        eventName: 'DeleteStackSet',
        requestParameters: { stackSetName: 'trailwarden-member-forwarders', deploymentTargets: undefined },
      }),
    },
    {
      name: 'the StackSet template replaced',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden', { eventName: 'UpdateStackSet' }),
    },
    {
      name: "a member deletes its forwarder stack (the StackSet's stack)",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member'),
    },
    {
      name: 'the Trailwarden stack itself deleted (cdk destroy by hand, or an intruder)',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member', {
        requestParameters: { stackName: 'Trailwarden' },
      }),
    },
    {
      name: 'the us-east-1 forwarder stack deleted, named by ARN',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member', {
        awsRegion: 'us-east-1',
        requestParameters: {
          stackName:
            'arn:aws:cloudformation:us-east-1:444455556666:stack/TrailwardenForwarder/6d8e2f40-9b1a-11f1-a3c5-0a1b2c3d4e5f',
        },
      }),
    },
    {
      name: 'a stack whose name only starts like Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member', {
        requestParameters: { stackName: 'TrailwardenDemoApp' },
      }),
    },
    {
      name: 'a member deletes its forwarder stack, named by ARN',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member', {
        requestParameters: {
          stackName:
            'arn:aws:cloudformation:us-east-1:444455556666:stack/StackSet-trailwarden-member-forwarders-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        },
      }),
    },
    {
      name: 'cdk deploy updates the StackSet through the execution role',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden', {
        eventName: 'UpdateStackSet',
        ...BY_DEPLOY_ROLE,
      }),
    },
    {
      name: 'another stack set',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden', {
        requestParameters: { stackSetName: 'landing-zone-baseline' },
      }),
    },
    {
      name: 'another StackSet stack in a member',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStack-trailwarden-member', {
        requestParameters: { stackName: 'StackSet-landing-zone-baseline-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b' },
      }),
    },
    {
      name: 'DeleteStackInstances denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('cloudformation/DeleteStackInstances-trailwarden', { errorCode: 'AccessDenied' }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('cloudformation/DeleteStackInstances-trailwarden'),
    },
  ],
};
