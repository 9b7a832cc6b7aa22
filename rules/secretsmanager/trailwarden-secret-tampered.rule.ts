import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, principalArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { explainSelfTampering, isSelfTampering } from '../core/self-protection.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_DEPLOY_ROLE, SELF_PROTECTION } from '../fixtures/self-protection.ts';

/**
 * Every call that changes what a secret holds, who may read it, or whether it exists. Reads (GetSecretValue) are
 * not here: the drill operators named in the stack's config may read the drill key by design.
 */
const EVENT_NAMES = [
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'RotateSecret',
  'CancelRotateSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'ReplicateSecretToRegions',
  'RemoveRegionsFromReplication',
  'StopReplicationToReplica',
] as const;

/**
 * The secret's ARN from the response (`arn`, or `aRN` in events some of these calls wrote before February 2024),
 * else `secretId` when it is one.
 */
const secretArn = (e: CloudTrailRecord): string | undefined => {
  const returned = stringParam(e.responseElements, 'arn') ?? stringParam(e.responseElements, 'aRN');
  if (returned !== undefined) return returned;
  const id = stringParam(e.requestParameters, 'secretId');
  return id?.startsWith('arn:') ? id : undefined;
};

/** A secret ARN ends `secret:<name>-<6 random characters>`. */
const nameOfArn = (arn: string): string | undefined => /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn)?.[1];

/** The name and ARN the call names (`secretId` is either; the response repeats both). */
const candidates = (e: CloudTrailRecord): string[] => {
  const arn = secretArn(e);
  const id = stringParam(e.requestParameters, 'secretId');
  const names = [id, stringParam(e.responseElements, 'name'), arn === undefined ? undefined : nameOfArn(arn)];
  return [...new Set([...names, arn].filter((c): c is string => c !== undefined && !c.startsWith('arn:')))].concat(
    arn === undefined ? [] : [arn],
  );
};

export const rule = defineRule({
  id: 'secretsmanager.trailwarden-secret-tampered',
  title: "Trailwarden's drill key or webhook secret changed, opened or deleted",
  severity: 'critical',
  controls: ['A.8.16', 'A.8.5'],
  mitre: ['T1562.001'],
  on: { source: 'secretsmanager', eventNames: EVENT_NAMES },
  match: (e, ctx) => isSelfTampering(e, candidates(e), ctx.config),
  explain: (e, ctx) => explainSelfTampering(e, candidates(e), ctx.config),
  resources: (e) => [secretArn(e) ?? stringParam(e.requestParameters, 'secretId') ?? 'unknown-secret'],
  dedup: { key: (e) => `${accountOf(e)}|${principalArn(e)}|${candidates(e)[0] ?? 'unknown-secret'}` },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    "One of Trailwarden's own secrets was given a new value, had its resource policy replaced or removed, was " +
    'rotated, replicated or deleted, by someone other than the deploy role. The drill key decides which events ' +
    'are honoured as drills; the PagerDuty webhook secret decides which acknowledgements and resolutions become ' +
    'triage evidence. Whoever sets either can forge drills or close incidents in the record.',
  runbook: [
    'Identify the secret from the finding (`Trailwarden-drill-key…` or the PagerDuty webhook secret) and the actor, and ask them whether they meant it; treat the session as compromised until they confirm.',
    'Restore it: redeploy Trailwarden (`npx cdk deploy Trailwarden`) to put back the resource policy; set a new random value with `aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -hex 32)"` from a trusted session, and for the webhook secret paste the same value into the PagerDuty webhook subscription.',
    'Review what was done with the old or forged value since the change: drill findings and drill records in the window (`trailwarden drills`), triage decisions under `triage/` made through the webhook (`trailwarden metrics --source …`), and re-triage any that the on-call team did not make.',
    'Restrict `secretsmanager:PutSecretValue`, `UpdateSecret`, `PutResourcePolicy`, `DeleteResourcePolicy` and `DeleteSecret` on `secret:Trailwarden-*` to the deploy role with an SCP.',
  ],
  rationale:
    'Critical on one call, like the other tampering rules (DESIGN §3, A.8.16): the drill key is what keeps a ' +
    'forged drill from being honoured (issue 16) and the webhook secret is what keeps forged triage out of the ' +
    'audit record (A.8.5: the secret is how the webhook authenticates). Reads are left out because drill operators read the key ' +
    'by design; changes by the deploy role are deployments.',
  falsePositives: [
    'A drill operator rotating the drill key by hand (the stack lets operators put a new value): rare, and worth the confirmation.',
    'Deploying with a role not listed in `selfProtection.deployRoles`: add the role.',
  ],
  cases: () => [
    {
      name: 'bob puts a value of his own into the drill key',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/PutSecretValue-trailwarden'),
    },
    {
      name: "the drill key's resource policy removed, named by ARN (aRN in a pre-2024 event)",
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/PutSecretValue-trailwarden', {
        eventName: 'DeleteResourcePolicy',
        requestParameters: {
          secretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:Trailwarden-drill-key-Qw3Er5',
          clientRequestToken: undefined,
        },
        responseElements: {
          aRN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:Trailwarden-drill-key-Qw3Er5',
          name: 'Trailwarden-drill-key',
          arn: undefined,
          versionId: undefined,
          versionStages: undefined,
        },
      }),
    },
    {
      name: 'the PagerDuty webhook secret deleted without recovery',
      expect: 'match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/DeleteSecret', {
        requestParameters: { secretId: 'Trailwarden-pagerduty-webhook', forceDeleteWithoutRecovery: true },
        responseElements: {
          arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:Trailwarden-pagerduty-webhook-Ab1Cd2',
          name: 'Trailwarden-pagerduty-webhook',
        },
      }),
    },
    {
      name: 'CloudFormation updates the drill key during cdk deploy',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/PutSecretValue-trailwarden', BY_DEPLOY_ROLE),
    },
    {
      name: 'PutSecretValue denied',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/PutSecretValue-trailwarden', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: secretsmanager:PutSecretValue on resource: Trailwarden-drill-key because no resource-based policy allows the secretsmanager:PutSecretValue action',
        responseElements: null,
      }),
    },
    {
      name: 'a secret that only starts like Trailwarden in its ARN prefix is not Trailwarden',
      expect: 'no-match',
      config: SELF_PROTECTION,
      event: fixture('secretsmanager/PutSecretValue-trailwarden', {
        requestParameters: { secretId: 'prod/Trailwarden-drill-key' },
        responseElements: {
          arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/Trailwarden-drill-key-Zx9Yw8',
          name: 'prod/Trailwarden-drill-key',
        },
      }),
    },
    {
      name: 'selfProtection not configured',
      expect: 'no-match',
      event: fixture('secretsmanager/PutSecretValue-trailwarden'),
    },
  ],
};
