import { resourceArn } from '../core/arn.ts';
import { accountOf, isSuccess } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { templateImage, templateName, unapprovedImages } from '../core/software.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const APPROVED = { software: { approvedImages: ['ami-0a1b2c3d4e5f60718'], approvedLayerAccounts: [] } };

export const rule = defineRule({
  id: 'ec2.launch-template-unapproved-image',
  title: 'Launch template points at an image outside the approved list',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.19'],
  mitre: ['T1525'],
  on: { source: 'ec2', eventNames: ['CreateLaunchTemplate', 'CreateLaunchTemplateVersion'] },
  // A template without an image is only a partial launch configuration: the launch itself names the image and
  // ec2.unapproved-image-launched judges it then. A template with an unlisted image is every future launch's.
  match: (e, ctx) => {
    if (!isSuccess(e)) return false;
    const image = templateImage(e);
    return image !== undefined && unapprovedImages([image], ctx.config).length > 0;
  },
  explain: (e, ctx) => [
    `launch template ${templateName(e)}`,
    ...unapprovedImages([templateImage(e) ?? 'unknown-image'], ctx.config),
  ],
  resources: (e) => {
    const id = templateName(e);
    return id.startsWith('lt-') ? [resourceArn(e, 'ec2', `launch-template/${id}`)] : [];
  },
  dedup: { key: (e) => `${accountOf(e)}|${templateName(e)}|${templateImage(e) ?? ''}`, windowSeconds: 86_400 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A launch template or a new version of one names an AMI that is not in software.approvedImages: every ' +
    'Auto Scaling group or launch using it will run unapproved software.',
  runbook: [
    'Look at the image (`aws ec2 describe-images --image-ids <ami>`) and at which groups use the template.',
    'If the image is a legitimate new golden image, add it to software.approvedImages; else set the default version back.',
    'Check instances already launched from the template (`aws ec2 describe-instances --filters Name=image-id,Values=<ami>`).',
  ],
  rationale:
    'A template is where an unapproved image enters at scale (Auto Scaling launches are made by AWS on the ' +
    "group's behalf). Medium like the launch itself; the image id is in the request, its owner is not.",
  falsePositives: ['A template updated to a new golden image before the list was updated.'],
  cases: () => [
    {
      name: 'template with an unlisted image',
      expect: 'match',
      event: fixture('ec2/CreateLaunchTemplate'),
      config: APPROVED,
    },
    {
      name: 'new template version with an unlisted image',
      expect: 'match',
      event: fixture('ec2/CreateLaunchTemplateVersion'),
      config: APPROVED,
    },
    {
      name: 'template with an approved image',
      expect: 'no-match',
      event: fixture('ec2/CreateLaunchTemplate'),
      config: { software: { approvedImages: ['ami-0fedcba9876543210'], approvedLayerAccounts: [] } },
    },
    {
      name: 'new version that changes only the instance type (no image)',
      expect: 'no-match',
      event: fixture('ec2/CreateLaunchTemplateVersion', {
        requestParameters: {
          CreateLaunchTemplateVersionRequest: {
            LaunchTemplateId: 'lt-0a1b2c3d4e5f67890',
            SourceVersion: '1',
            LaunchTemplateData: { ImageId: undefined, InstanceType: 't3.medium' },
          },
        },
      }),
      config: APPROVED,
    },
    {
      name: 'denied template creation',
      expect: 'no-match',
      event: fixture('ec2/CreateLaunchTemplate', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'You are not authorized to perform this operation.',
        responseElements: null,
      }),
      config: APPROVED,
    },
  ],
};
