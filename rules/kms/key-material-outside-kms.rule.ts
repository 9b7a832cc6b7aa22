import { isUnapprovedChange, unapprovedReasons } from '../core/approved.ts';
import { partitionOf } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { accountOf, actorArn, isServiceInvoked, isSuccess, stringParam } from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { APPROVED_DEPLOYS } from '../fixtures/approved.ts';
import { fixture } from '../fixtures/index.ts';
import { BY_APPROVED_DEPLOY, denied } from '../fixtures/overrides.ts';

const CUSTOM_KEY_STORE_CALLS = new Set(['CreateCustomKeyStore', 'ConnectCustomKeyStore', 'UpdateCustomKeyStore']);

/** What the call put outside KMS's own custody. CreateKey counts only when its origin is not KMS itself. */
const changeOf = (e: CloudTrailRecord): string | undefined => {
  if (e.eventName === 'ImportKeyMaterial') {
    const model = stringParam(e.requestParameters, 'expirationModel');
    return `key material the caller holds was imported${model === undefined ? '' : ` (${model})`}: whoever holds it can delete it and make every ciphertext under the key unreadable`;
  }
  if (CUSTOM_KEY_STORE_CALLS.has(e.eventName)) {
    const type = stringParam(e.requestParameters, 'customKeyStoreType');
    const proxy = stringParam(e.requestParameters, 'xksProxyUriEndpoint');
    return `${e.eventName}: keys held outside KMS${type === undefined ? '' : ` (${type})`}${proxy === undefined ? '' : `, proxy ${proxy}`}; whoever runs the store can cut off every key in it`;
  }
  const origin = stringParam(e.requestParameters, 'origin');
  return origin !== undefined && origin !== 'AWS_KMS'
    ? `a key with origin ${origin} was created: its material will come from outside KMS`
    : undefined;
};

/** The key or key store the call concerns. */
const targets = (e: CloudTrailRecord): string[] => {
  const fromResources = (e.resources ?? []).flatMap((r) => (r.ARN ? [r.ARN] : []));
  if (fromResources.length > 0) return fromResources;
  const key =
    stringParam(e.responseElements, 'keyId') ?? stringParam(e.responseElements, 'keyMetadata', 'arn') ?? undefined;
  if (key?.startsWith('arn:')) return [key];
  const store =
    stringParam(e.requestParameters, 'customKeyStoreId') ?? stringParam(e.responseElements, 'customKeyStoreId');
  return store === undefined
    ? []
    : [`arn:${partitionOf(e.awsRegion)}:kms:${e.awsRegion}:${accountOf(e)}:custom-key-store/${store}`];
};

export const rule = defineRule({
  id: 'kms.key-material-outside-kms',
  title: 'External KMS key material or custom key store, outside the approved process',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.13', 'A.8.9'],
  mitre: ['T1486', 'T1485'],
  on: {
    source: 'kms',
    eventNames: [
      'ImportKeyMaterial',
      'CreateCustomKeyStore',
      'ConnectCustomKeyStore',
      'UpdateCustomKeyStore',
      'CreateKey',
    ],
  },
  match: (e, ctx) =>
    isSuccess(e) && !isServiceInvoked(e) && changeOf(e) !== undefined && isUnapprovedChange(e, ctx.config.approved),
  explain: (e, ctx) => [`${actorArn(e)}: ${changeOf(e) ?? e.eventName}`, ...unapprovedReasons(e, ctx.config.approved)],
  resources: targets,
  dedup: { key: (e) => `${accountOf(e)}|${targets(e)[0] ?? e.eventName}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'Key material was imported into a KMS key (ImportKeyMaterial), a key with an external origin was created, or a ' +
    'custom key store (CloudHSM or external key store) was created, connected or updated, outside the approved ' +
    'process. The party holding the material or running the store can destroy or withhold it at will: the KMS ' +
    'ransomware path (encrypt with imported material, then delete it and demand payment).',
  runbook: [
    'Identify the key or key store and who made the call; ask the key owners whether a bring-your-own-key or external key store project exists.',
    'If not: disable the key (`aws kms disable-key`) before data is encrypted under it, find resources already using it (S3 default encryption, EBS, RDS, Secrets Manager), and re-encrypt them under a KMS-origin key.',
    "For a key store: disconnect it (`aws kms disconnect-custom-key-store`) and review who can reach its proxy or cluster; treat the caller's credentials as stolen.",
  ],
  rationale:
    'Imported and external key material is rare and deliberate (regulated BYOK projects run by the platform ' +
    "team's pipeline), and its abuse is destructive (Sigma aws_kms_import_key_material, " +
    'aws_kms_custom_key_store_connected_or_created; Rhino Security Labs and Palo Alto Unit 42 on KMS ransomware). ' +
    'Outside the approved process it is high; critical on high-criticality accounts.',
  falsePositives: [
    'A BYOK key rotation run by hand instead of by the pipeline: run it through an approved automation role.',
  ],
  cases: () => [
    { name: 'key material imported by an IAM user', expect: 'match', event: fixture('kms/ImportKeyMaterial') },
    { name: 'a CloudHSM key store created', expect: 'match', event: fixture('kms/CreateCustomKeyStore') },
    { name: 'a custom key store connected', expect: 'match', event: fixture('kms/ConnectCustomKeyStore') },
    {
      name: 'an external key store re-pointed at another proxy',
      expect: 'match',
      event: fixture('kms/ConnectCustomKeyStore', {
        eventName: 'UpdateCustomKeyStore',
        requestParameters: {
          customKeyStoreId: 'cks-1234567890abcdef0',
          xksProxyUriEndpoint: 'https://xks.example.net',
        },
      }),
    },
    {
      name: 'a key created for imported material',
      expect: 'match',
      event: fixture('kms/CreateKey', { requestParameters: { origin: 'EXTERNAL' } }),
    },
    { name: 'an ordinary KMS-origin key', expect: 'no-match', event: fixture('kms/CreateKey') },
    {
      name: 'the approved BYOK pipeline imports material',
      expect: 'no-match',
      event: fixture('kms/ImportKeyMaterial', BY_APPROVED_DEPLOY),
      config: { approved: APPROVED_DEPLOYS },
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('kms/ImportKeyMaterial', denied('AccessDeniedException', 'kms:ImportKeyMaterial')),
    },
  ],
};
