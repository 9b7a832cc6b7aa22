import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, byAwsService, denied } from '../fixtures/overrides.ts';

/** The repository pushed to, in the registry the request names (a push may target another account's registry). */
const repositoryArn = (e: CloudTrailRecord): string =>
  resourceArn(
    e,
    'ecr',
    `repository/${stringParam(e.requestParameters, 'repositoryName') ?? 'unknown'}`,
    stringParam(e.requestParameters, 'registryId') ?? accountOf(e),
  );

/** `repo:tag@digest` as far as the record says. */
const pushed = (e: CloudTrailRecord): string => {
  const tag =
    stringParam(e.requestParameters, 'imageTag') ?? stringParam(e.responseElements, 'image', 'imageId', 'imageTag');
  const digest = stringParam(e.responseElements, 'image', 'imageId', 'imageDigest');
  return `${stringParam(e.requestParameters, 'repositoryName') ?? 'an unrecorded repository'}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
};

export const rule = defineRule({
  id: 'ecr.image-pushed-outside-process',
  title: 'Container image pushed to ECR outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19', 'A.8.9'],
  mitre: ['T1525'],
  // PutImage ends every push (it writes the tag); InitiateLayerUpload starts each new layer, so a push that was
  // cut off before its manifest, or one made through the layer API alone, is seen too. One finding per identity
  // and repository for the hour folds the calls of one push.
  on: { source: 'ecr', eventNames: ['PutImage', 'InitiateLayerUpload'] },
  match: (e, ctx) => isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    e.eventName === 'PutImage'
      ? `${actorArn(e)} pushed ${pushed(e)}`
      : `${actorArn(e)} started uploading an image layer to ${pushed(e)}`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  resources: (e) => [repositoryArn(e)],
  dedup: { key: (e) => `${actorArn(e)}|${repositoryArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An image was pushed (PutImage) or image layers uploaded (InitiateLayerUpload) to an ECR repository by an ' +
    'identity that is not the approved build pipeline: whatever runs from that repository next runs code nobody ' +
    'reviewed.',
  runbook: [
    'Find what was pushed: `aws ecr describe-images --repository-name <repo> --image-ids imageTag=<tag>` (digest, push time) and compare the digest with the pipeline’s last build.',
    'If nobody owns the push, re-tag the last good digest (`aws ecr batch-get-image` then `put-image` from the pipeline) and delete the pushed one; find the tasks, pods and functions that pulled it since (ECS `describe-tasks` image digests, EKS pods, Lambda image functions) and restart them on the good digest.',
    'Revoke the identity’s sessions and review its other calls; restrict ecr:PutImage and ecr:InitiateLayerUpload to the pipeline role in the repository policy.',
  ],
  rationale:
    'Pushing a backdoored image over a trusted tag is how an attacker implants code that the organisation’s own ' +
    'deployments then run (T1525, Implant Internal Image; Panther AWS.ECR.IAM flags ECR writes by unexpected ' +
    'identities). Only the build pipeline should push: every push by anyone else is a finding, medium, high on ' +
    'high-criticality assets, one per identity and repository for the hour. Refused calls, ECR replication and ' +
    'pull-through cache (AWS acting on its own) and the approved automation do not match.',
  falsePositives: [
    'Developers pushing to development repositories by hand: mark those accounts low criticality or suppress by repository.',
    'A pipeline whose role or user agent is not listed in approved.automationRoles / approved.iacUserAgents (docker and buildx user agents included).',
  ],
  cases: () => [
    { name: 'alice pushes payments-api:latest from a laptop', expect: 'match', event: fixture('ecr/PutImage') },
    {
      name: 'Panther test event: a read-only role starts a layer upload',
      expect: 'match',
      event: fixture('ecr/InitiateLayerUpload-panther'),
    },
    {
      name: 'the approved pipeline pushes',
      expect: 'no-match',
      config: { approved: APPROVED_DEPLOYS },
      event: fixture('ecr/PutImage', BY_APPROVED_DEPLOY),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ecr/PutImage', denied('AccessDeniedException', 'ecr:PutImage')),
    },
    {
      name: 'ECR replication writing the image on its own',
      expect: 'no-match',
      event: fixture('ecr/PutImage', byAwsService('ecr')),
    },
  ],
};
