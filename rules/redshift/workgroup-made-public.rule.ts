import { resourceArn } from '../core/arn.ts';
import type { CloudTrailRecord, JsonValue } from '../core/cloudtrail.ts';
import { isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';

const isTrue = (v: JsonValue | undefined): boolean =>
  v === true || (typeof v === 'string' && v.toLowerCase() === 'true');

const workgroupArn = (e: CloudTrailRecord): string =>
  stringParam(e.responseElements, 'workgroup', 'workgroupArn') ??
  resourceArn(e, 'redshift-serverless', `workgroup/${stringParam(e.requestParameters, 'workgroupName') ?? 'unknown'}`);

export const rule = defineRule({
  id: 'redshift.workgroup-made-public',
  title: 'Redshift Serverless workgroup made publicly accessible',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.5.23', 'A.8.3'],
  mitre: ['T1133', 'T1190'],
  on: { source: 'redshift-serverless', eventNames: ['CreateWorkgroup', 'UpdateWorkgroup'] },
  match: (e) => isSuccess(e) && isTrue(param(e.requestParameters, 'publiclyAccessible')),
  explain: (e) => [`workgroup ${stringParam(e.requestParameters, 'workgroupName') ?? '?'} is publicly accessible`],
  dedup: { key: workgroupArn },
  resources: (e) => [workgroupArn(e)],
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A Redshift Serverless workgroup was created or updated with publiclyAccessible true: its endpoint becomes ' +
    'reachable from the internet, guarded only by security groups and credentials.',
  runbook: [
    'Confirm: `aws redshift-serverless get-workgroup --workgroup-name <name> --query workgroup.publiclyAccessible`.',
    'Unless documented, revert: `aws redshift-serverless update-workgroup --workgroup-name <name> --no-publicly-accessible`.',
    'Check the workgroup security groups and connection logs for outside addresses.',
  ],
  rationale: 'As redshift.cluster-made-public, for the serverless API (a different event source).',
  falsePositives: ['BI tools outside AWS reaching a workgroup on purpose: suppress per workgroup with a reason.'],
  cases: () => [
    { name: 'workgroup made public', expect: 'match', event: fixture('redshift-serverless/UpdateWorkgroup') },
    {
      name: 'workgroup capacity changed',
      expect: 'no-match',
      event: fixture('redshift-serverless/UpdateWorkgroup', {
        requestParameters: { publiclyAccessible: undefined, baseCapacity: 64 },
      }),
    },
    {
      name: 'workgroup made private',
      expect: 'no-match',
      event: fixture('redshift-serverless/UpdateWorkgroup', { requestParameters: { publiclyAccessible: false } }),
    },
    {
      name: 'UpdateWorkgroup denied',
      expect: 'no-match',
      event: fixture('redshift-serverless/UpdateWorkgroup', {
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::111122223333:assumed-role/OrganizationAccountAccessRole/bob is not authorized to perform: redshift-serverless:UpdateWorkgroup',
        responseElements: null,
      }),
    },
  ],
};
