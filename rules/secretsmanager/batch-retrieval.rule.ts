import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { batchByFilter } from '../core/secrets.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

export const rule = defineRule({
  id: 'secretsmanager.batch-retrieval',
  title: 'Secrets read in bulk by filter (BatchGetSecretValue)',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.3', 'A.8.5'],
  mitre: ['T1555.006'],
  on: { source: 'secretsmanager', eventNames: ['BatchGetSecretValue'] },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && batchByFilter(e) && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [
    `filters ${JSON.stringify(param(e.requestParameters, 'filters') ?? null)}: every matching secret value returned`,
    ...unapprovedReasons(e, ctx.config.approved),
  ],
  // Pagination makes several calls of one dump: one finding per identity for an hour.
  dedup: { key: (e) => `${accountOf(e)}|${actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Secret values were read in bulk with BatchGetSecretValue and a filter (not a list of named secrets), by ' +
    'someone outside the approved process: up to 20 secrets a call, the quiet way to dump a secret store ' +
    '(Stratus Red Team secretsmanager-batch-retrieve-secrets).',
  runbook: [
    'Find the calls and their filters: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=BatchGetSecretValue --start-time <first-seen>`.',
    'List the secrets the filters match (`aws secretsmanager list-secrets --filters …`): all of them were read.',
    'Revoke the caller, rotate those secrets, review their use since first-seen.',
  ],
  rationale:
    'Applications name the secrets they need; a filter-based batch returns whatever matches, and a negated tag ' +
    'filter matches everything. One call is a finding; pagination folds into it. High, critical on ' +
    'high-criticality assets.',
  falsePositives: ['Configuration tools that load secrets by tag: run them under an approved automation role.'],
  cases: () => [
    { name: 'catch-all filter batch', expect: 'match', event: fixture('secretsmanager/BatchGetSecretValue') },
    {
      name: 'batch by a tag filter (the Stratus Red Team shape)',
      expect: 'match',
      event: fixture('secretsmanager/BatchGetSecretValue', {
        requestParameters: { filters: [{ key: 'tag-key', values: ['StratusRedTeam'] }], maxResults: 10 },
      }),
    },
    {
      name: 'batch of named secrets (an application)',
      expect: 'no-match',
      event: fixture('secretsmanager/BatchGetSecretValue', {
        requestParameters: {
          filters: undefined,
          maxResults: undefined,
          secretIdList: ['prod/payments/db-password', 'prod/payments/api-key'],
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture(
        'secretsmanager/BatchGetSecretValue',
        denied('AccessDeniedException', 'secretsmanager:BatchGetSecretValue'),
      ),
    },
    {
      name: 'approved automation',
      expect: 'no-match',
      event: fixture('secretsmanager/BatchGetSecretValue', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
  ],
};
