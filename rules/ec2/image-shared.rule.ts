import { partitionOf, regionalArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonObject } from '../core/cloudtrail.ts';
import { accountOf, isJsonObject, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import type { DetectionConfig } from '../core/config.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

/** `launchPermission.add.items[]`: `group`, `userId`, `organizationArn` or `organizationalUnitArn`. */
const addedGrants = (e: CloudTrailRecord): JsonObject[] => {
  const items = param(e.requestParameters, 'launchPermission', 'add', 'items');
  const list = Array.isArray(items) ? items : isJsonObject(items) ? [items] : [];
  return list.filter(isJsonObject);
};

const isMadePublic = (e: CloudTrailRecord): boolean =>
  addedGrants(e).some((g) => typeof g.group === 'string' && g.group.toLowerCase() === 'all');

/**
 * `arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5` or
 * `arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-11111111`: the management account and org id.
 */
const organizationOfArn = (arn: string): { readonly management: string; readonly orgId: string } | undefined => {
  const match = /^arn:[a-z-]+:organizations::(\d{12}):(?:organization|ou)\/(o-[a-z0-9]+)/.exec(arn);
  return match?.[1] !== undefined && match[2] !== undefined ? { management: match[1], orgId: match[2] } : undefined;
};

/**
 * Accounts, organisations and OUs granted that lie outside ours. An organisation ARN is ours when its id is the
 * configured organization.id or its management account is the event's own account or an organisation member.
 */
const outsideGrantees = (e: CloudTrailRecord, config: DetectionConfig): string[] => {
  const own = accountOf(e);
  const members = new Set(config.organization.accounts);
  const inside = (account: string) => account === own || members.has(account);
  return addedGrants(e).flatMap((g) => {
    if (g.userId !== undefined && g.userId !== null) {
      const account = String(g.userId);
      return inside(account) ? [] : [account];
    }
    const arn = g.organizationArn ?? g.organizationalUnitArn;
    if (typeof arn !== 'string') return [];
    const org = organizationOfArn(arn);
    if (org === undefined) return [arn];
    return org.orgId === config.organization.id || inside(org.management) ? [] : [arn];
  });
};

const imageOf = (e: CloudTrailRecord): string => stringParam(e.requestParameters, 'imageId') ?? 'unknown-image';

const ORG = { id: 'o-a1b2c3d4e5', accounts: ['111122223333', '444455556666'] };
const shareWith = (...items: Record<string, string>[]) => ({
  requestParameters: { launchPermission: { add: { items } } },
});

export const rule = defineRule({
  id: 'ec2.image-shared',
  title: 'AMI made public or shared outside the organisation',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.5.23'],
  mitre: ['T1537'],
  on: { source: 'ec2', eventNames: ['ModifyImageAttribute'] },
  match: (e, ctx) => isSuccess(e) && (isMadePublic(e) || outsideGrantees(e, ctx.config).length > 0),
  explain: (e, ctx) => [
    ...(isMadePublic(e) ? ['made public: launchPermission for group "all"'] : []),
    ...(outsideGrantees(e, ctx.config).length > 0
      ? [`shared outside the organisation with ${outsideGrantees(e, ctx.config).join(', ')}`]
      : []),
  ],
  dedup: { key: (e) => `${accountOf(e)}|${imageOf(e)}` },
  resources: (e) => [regionalArn(partitionOf(e.awsRegion), 'ec2', e.awsRegion, '', `image/${imageOf(e)}`)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'ModifyImageAttribute added a launch permission for the group "all" (anyone can launch the AMI and read its ' +
    'disks) or for an account, organisation or OU outside ours. The grantees are in ' +
    'requestParameters.launchPermission.add.items.',
  runbook: [
    'See who can launch the image: `aws ec2 describe-image-attribute --image-id <ami-id> --attribute launchPermission`.',
    'Unless the share is documented (vendor, marketplace, partner), revoke it: `aws ec2 modify-image-attribute --image-id <ami-id> --launch-permission "Remove=[{UserId=<account>}]"` (public: `"Remove=[{Group=all}]"`), or `aws ec2 reset-image-attribute --image-id <ami-id> --attribute launchPermission`.',
    'Find what the image contains: `aws ec2 describe-images --image-ids <ami-id>` (the snapshots behind BlockDeviceMappings, and the instance it was made from). An image of a running server can hold credentials, keys and data; rotate any secret baked into it.',
    'Keep AMI Block Public Access on: `aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing` in every region.',
    "Review the actor's other calls around the share (CreateImage, CopyImage, ModifySnapshotAttribute); if nobody owns the share, treat it as exfiltration (T1537).",
  ],
  rationale:
    'One successful share is enough, with no threshold. Medium by default, below ec2.snapshot-shared: most shared ' +
    'AMIs are golden images built by a pipeline from a base OS with no business data, and sharing them with ' +
    'vendors or partners is routine, whereas a snapshot is usually a copy of a data volume. High on ' +
    'high-criticality assets (not critical): an image of a production server does carry its disks, so it is as ' +
    'sensitive as a snapshot, but the grantee must launch it to read them, and public AMIs stay listed and ' +
    'revocable. "Outside the organisation" means an account that is neither the event\'s own account nor in ' +
    'organization.accounts (when that list is empty, every other account is outside); an organisation or OU ARN is ' +
    'inside when it carries organization.id or its management account is a member. Removals never match.',
  falsePositives: [
    'AMIs published on purpose (public community images, Marketplace, vendor hand-over): suppress per image with a reason.',
    'Shares with sister accounts while organization.accounts is empty or out of date.',
    'Shares with a second organisation of the same company (after an acquisition): add its accounts, or suppress.',
  ],
  cases: () => [
    {
      name: 'shared with an account outside the organisation',
      expect: 'match',
      config: { organization: ORG },
      event: fixture('ec2/ModifyImageAttribute'),
    },
    {
      name: 'made public (group all)',
      expect: 'match',
      event: fixture('ec2/ModifyImageAttribute', shareWith({ group: 'all' })),
    },
    {
      name: 'made public on a high-criticality asset',
      expect: 'match',
      criticality: 'high',
      event: fixture('ec2/ModifyImageAttribute', shareWith({ group: 'all' })),
    },
    {
      name: 'shared with an organisation member',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture('ec2/ModifyImageAttribute', shareWith({ userId: '444455556666' })),
    },
    {
      name: 'shared with our own organisation by ARN',
      expect: 'no-match',
      config: { organization: ORG },
      event: fixture(
        'ec2/ModifyImageAttribute',
        shareWith({ organizationArn: 'arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5' }),
      ),
    },
    {
      name: 'shared with an OU of another organisation',
      expect: 'match',
      config: { organization: ORG },
      event: fixture(
        'ec2/ModifyImageAttribute',
        shareWith({ organizationalUnitArn: 'arn:aws:organizations::999988887777:ou/o-zz9y8x7w6v/ou-zz9y-11111111' }),
      ),
    },
    {
      name: 'removing public launch permission is benign',
      expect: 'no-match',
      event: fixture('ec2/ModifyImageAttribute', {
        requestParameters: { launchPermission: { add: undefined, remove: { items: [{ group: 'all' }] } } },
      }),
    },
    {
      name: 'changing the description is benign',
      expect: 'no-match',
      event: fixture('ec2/ModifyImageAttribute', {
        requestParameters: {
          attributeType: 'description',
          launchPermission: undefined,
          description: { value: 'orders-api base image 2026-11' },
        },
      }),
    },
    {
      name: 'public share refused by AMI Block Public Access',
      expect: 'no-match',
      event: fixture('ec2/ModifyImageAttribute', {
        ...shareWith({ group: 'all' }),
        errorCode: 'Client.OperationNotPermitted',
        errorMessage: 'You cannot share this AMI publicly because block public access for AMIs is enabled.',
        responseElements: null,
      }),
    },
    {
      name: 'share denied',
      expect: 'no-match',
      event: fixture('ec2/ModifyImageAttribute', {
        errorCode: 'Client.UnauthorizedOperation',
        errorMessage: 'You are not authorized to perform this operation.',
        responseElements: null,
      }),
    },
  ],
};
