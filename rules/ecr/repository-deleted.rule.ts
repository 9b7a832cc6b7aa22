import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, parametersNotRecorded, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { deletionReasons, flagParam, isUnapprovedDeletion } from '../core/destruction.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const repositoryArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'repository', 'repositoryArn') ??
  resourceArn(
    e,
    'ecr',
    `repository/${stringParam(e.requestParameters, 'repositoryName') ?? 'unknown'}`,
    stringParam(e.requestParameters, 'registryId') ?? accountOf(e),
  );

/**
 * Without `force` ECR deletes only empty repositories, which loses nothing. Fail safe: a record without request
 * parameters counts as forced.
 */
const deletesImages = (e: CloudTrailRecord): boolean =>
  parametersNotRecorded(e) || flagParam(e.requestParameters, 'force') === true;

export const rule = defineRule({
  id: 'ecr.repository-deleted',
  title: 'ECR repository deleted with its images outside the approved process',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.10'],
  mitre: ['T1485'],
  on: { source: 'ecr', eventNames: ['DeleteRepository'] },
  match: (e, ctx) =>
    deletesImages(e) &&
    isUnapprovedDeletion(e, ctx.config, [stringParam(e.requestParameters, 'repositoryName') ?? '', repositoryArn(e)]),
  explain: (e, ctx) => deletionReasons(e, ctx.config),
  resources: (e) => [repositoryArn(e)],
  dedup: { key: repositoryArn },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An ECR repository was force-deleted with every image in it by someone other than the approved deploy ' +
    'automation: the images running services pull, and need to scale or recover, are gone.',
  runbook: [
    'List what ran from it: tasks, pods and functions whose image URI starts with the repository URI will fail to start or scale.',
    'Rebuild and push the images from source (CI) or copy them back from a replica Region or registry (ECR replication), then recreate the repository with IaC.',
    'Find the change record. If there is none, treat it as an incident: revoke the actor’s sessions and review their other calls.',
  ],
  rationale:
    'Force-deleting a repository destroys every image in it (T1485): services cannot restart or scale until images are rebuilt. Medium, high on high-criticality assets; one call is enough. Deleting an empty repository (no `force`) loses nothing and is not watched. Only calls outside the approved process match.',
  falsePositives: ['Clean-up of abandoned repositories by hand (confirm the ticket).'],
  cases: () => [
    {
      name: 'alice force-deletes the payments-api repository',
      expect: 'match',
      event: fixture('ecr/DeleteRepository-force'),
    },
    {
      name: 'empty repository deleted without force',
      expect: 'no-match',
      event: fixture('ecr/DeleteRepository-force', { requestParameters: { force: false } }),
    },
    {
      name: 'denied',
      expect: 'no-match',
      event: fixture('ecr/DeleteRepository-force', denied('AccessDeniedException', 'ecr:DeleteRepository')),
    },
    {
      name: 'approved deploy role through CloudFormation',
      expect: 'no-match',
      event: fixture('ecr/DeleteRepository-force', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
