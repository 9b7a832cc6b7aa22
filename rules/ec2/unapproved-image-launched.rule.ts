import { resourceArn } from '../core/arn.ts';
import { accountOf, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { launchedImages, launchTemplateOf, unapprovedImages } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** The golden images the cases approve; the fixtures launch ami-0123456789abcdef0 and ami-0fedcba9876543210. */
const APPROVED = { software: { approvedImages: ['ami-0a1b2c3d4e5f60718'], approvedLayerAccounts: [] } };

export const rule = defineRule({
  id: 'ec2.unapproved-image-launched',
  title: 'Instance launched from an image outside the approved list',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19'],
  mitre: ['T1204.003', 'T1525'],
  on: { source: 'ec2', eventNames: ['RunInstances'] },
  // Fail closed: a launch whose image the record does not show is unapproved too (unknown = unapproved).
  match: (e, ctx) => {
    if (!isSuccess(e)) return false;
    const images = launchedImages(e);
    return images.length === 0 || unapprovedImages(images, ctx.config).length > 0;
  },
  explain: (e, ctx) => {
    const images = launchedImages(e);
    const template = launchTemplateOf(e);
    return [
      ...(images.length === 0 ? ['the record names no image, so it cannot be shown to be approved'] : []),
      ...unapprovedImages(images, ctx.config),
      ...(template === undefined ? [] : [`launched from launch template ${template}`]),
    ];
  },
  resources: (e) => launchedImages(e).map((i) => resourceArn(e, 'ec2', `image/${i}`, '')),
  dedup: { key: (e) => `${accountOf(e)}|${launchedImages(e).join(',')}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'An EC2 instance was launched (RunInstances) from an AMI that is not in the approved image list ' +
    '(software.approvedImages). With no list configured every image is unapproved (fail closed).',
  runbook: [
    'Identify the image (`aws ec2 describe-images --image-ids <ami>`): owner, name, creation date, marketplace code.',
    'Ask the launcher why it used that image; if it is a legitimate golden image, add it to software.approvedImages.',
    'If unknown or third-party: isolate the instance (restrictive security group), snapshot it for forensics, terminate it.',
  ],
  rationale:
    'The risk table rates unapproved software medium; high on high-criticality accounts. The image owner is not in ' +
    'the RunInstances record (only the id), so approval is by image id; an image list is short and auditable. ' +
    'A launch from a launch template shows its image in the response, which the rule reads too.',
  falsePositives: [
    'A new golden image not yet added to the list (add it the same day).',
    'AWS-managed launches (EKS managed node groups, Elastic Beanstalk) with AWS images: list those image ids.',
  ],
  cases: () => [
    { name: 'launch from an unlisted image', expect: 'match', event: fixture('ec2/RunInstances'), config: APPROVED },
    {
      name: 'launch template whose image is unlisted (seen in the response)',
      expect: 'match',
      event: fixture('ec2/RunInstances-launch-template'),
      config: APPROVED,
    },
    {
      name: 'no approved list configured: nothing is approved',
      expect: 'match',
      event: fixture('ec2/RunInstances'),
    },
    {
      name: 'launch from an approved image',
      expect: 'no-match',
      event: fixture('ec2/RunInstances'),
      config: {
        software: { approvedImages: ['ami-0a1b2c3d4e5f60718', 'ami-0123456789abcdef0'], approvedLayerAccounts: [] },
      },
    },
    {
      name: 'denied launch from an unlisted image',
      expect: 'no-match',
      event: fixture('ec2/RunInstances-launch-template', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'You are not authorized to perform this operation.',
        responseElements: null,
      }),
      config: APPROVED,
    },
  ],
};
