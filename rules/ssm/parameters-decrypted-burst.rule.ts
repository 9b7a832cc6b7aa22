import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, param, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import { flagParam } from '../core/destruction.ts';
import { firstReadHistory, isFirstRead } from '../core/first-reads.ts';
import type { RuleDocs } from '../core/types.ts';
import { rememberedValues } from '../fixtures/history.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

const byActor = (e: CloudTrailRecord): string => `${accountOf(e)}|${actorArn(e)}`;

/**
 * What one request asked for, as one value: a parameter, a sorted set of parameters, or a path. Distinct
 * requests are counted, so an application re-reading its own configuration adds nothing.
 */
const requestOf = (e: CloudTrailRecord): string | undefined => {
  const names = param(e.requestParameters, 'names');
  if (Array.isArray(names)) return `names:${names.map(String).sort().join(',')}`;
  const path = stringParam(e.requestParameters, 'path');
  if (path !== undefined) return `path:${path}|${String(flagParam(e.requestParameters, 'recursive') ?? false)}`;
  const name = stringParam(e.requestParameters, 'name');
  return name === undefined ? undefined : `name:${name}`;
};

/** An unrecorded request counts as one more each time: unknown is the dangerous case. */
const requested = (e: CloudTrailRecord): string => requestOf(e) ?? `unrecorded:${e.eventID ?? ''}`;

const isDecrypting = (e: CloudTrailRecord): boolean => flagParam(e.requestParameters, 'withDecryption') === true;

export const rule = defineRule({
  id: 'ssm.parameters-decrypted-burst',
  title: 'Many SecureString parameters decrypted by one identity',
  severity: 'medium',
  escalation: { high: 'high' },
  controls: ['A.8.3', 'A.8.5'],
  mitre: ['T1552', 'T1555.006'],
  on: { source: 'ssm', eventNames: ['GetParameter', 'GetParameters', 'GetParametersByPath'] },
  // Only requests this identity never made before count: an application re-reading its configuration costs nothing.
  history: firstReadHistory((e) => (isDecrypting(e) ? requestOf(e) : undefined)),
  match: (e, ctx) => isSuccess(e) && !isServiceInvoked(e) && isDecrypting(e) && isFirstRead(requestOf(e), ctx.history),
  threshold: {
    count: 3,
    windowSeconds: 600,
    byCriticality: { high: { count: 2, windowSeconds: 600 }, low: { count: 5, windowSeconds: 900 } },
    groupBy: byActor,
    distinct: requested,
  },
  dedup: { key: byActor },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'One identity made several different decrypting reads of SSM parameters (GetParameter(s) / ' +
    'GetParametersByPath with withDecryption) within minutes: SecureStrings being harvested in batches of 10 ' +
    '(Stratus Red Team ssm-retrieve-securestring-parameters).',
  runbook: [
    'List the reads: `aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetParameters --start-time <first-seen>` (and GetParameter, GetParametersByPath), filtered on the actor.',
    'Revoke the identity, then rotate the values of every SecureString named in those requests.',
    'Restrict ssm:GetParameter* and kms:Decrypt on the parameter key to the roles that need each path.',
  ],
  rationale:
    'Only requests the identity (the role behind a session, else the user) did not make in the last 100 days ' +
    'count, so an application loading its configuration at every start adds nothing (and costs no DynamoDB ' +
    'write). Each distinct request (a parameter, a set of up to 10, or a path) counts once: 3 different decrypting ' +
    'requests in 10 minutes by one identity (2 on high-criticality assets, 5 in 15 minutes on low). An ' +
    'application reading the same configuration at every start counts once. Plain String reads are not ' +
    'counted. Medium, high on high-criticality assets.',
  falsePositives: [
    'Applications loading configuration from several paths at start-up: suppress their role with a dated reason.',
    'Engineers browsing SecureStrings in the console with "show decrypted value".',
  ],
  cases: () => [
    { name: '10 SecureStrings decrypted in one call', expect: 'match', event: fixture('ssm/GetParameters-decrypted') },
    {
      name: 'a path read recursively with decryption',
      expect: 'match',
      event: fixture('ssm/GetParameters-decrypted', {
        eventName: 'GetParametersByPath',
        requestParameters: { names: undefined, path: '/prod/', recursive: true, withDecryption: true },
      }),
    },
    {
      name: 'a path this role never read',
      expect: 'match',
      event: fixture('ssm/GetParameters-decrypted', {
        eventName: 'GetParametersByPath',
        requestParameters: { names: undefined, path: '/prod/', recursive: true, withDecryption: true },
      }),
      history: rememberedValues(Date.parse('2026-11-02T16:26:57Z'), 20, ['path:/prod/payments/|false']),
    },
    {
      name: 'the same request this role made yesterday (an application loading its configuration)',
      expect: 'no-match',
      event: fixture('ssm/GetParameters-decrypted', {
        eventName: 'GetParametersByPath',
        requestParameters: { names: undefined, path: '/prod/', recursive: true, withDecryption: true },
      }),
      history: rememberedValues(Date.parse('2026-11-02T16:26:57Z'), 20, ['path:/prod/|true']),
    },
    {
      name: 'without decryption',
      expect: 'no-match',
      event: fixture('ssm/GetParameters-decrypted', { requestParameters: { withDecryption: false } }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('ssm/GetParameters-decrypted', denied('AccessDeniedException', 'ssm:GetParameters')),
    },
    {
      name: 'AWS reading for itself',
      expect: 'no-match',
      event: fixture('ssm/GetParameters-decrypted', byAwsService('cloudformation')),
    },
  ],
};
