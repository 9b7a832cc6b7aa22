import { partitionOf, s3BucketArn } from '../core/arn.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import {
  accountOf,
  actorArn,
  isServiceInvoked,
  isSuccess,
  parametersNotRecorded,
  stringParam,
} from '../core/cloudtrail.ts';
import { defineRule } from '../core/define-rule.ts';
import type { RuleDocs } from '../core/types.ts';
import { fixture } from '../fixtures/index.ts';
import { byAwsService, denied } from '../fixtures/overrides.ts';

/** A note is something a person opens: text, a web page, or no extension at all. */
const NOTE_EXTENSION = /(^[^.]+|\.(txt|text|html?|hta|rtf|md|url))$/;

/**
 * Unmistakable wherever the note lands (ransomware drops one in every prefix): `ransom`, files said to be
 * deleted, encrypted, locked or stolen (Stratus: `FILES-DELETED.txt`, `FILES-ENCRYPTED.txt`), "your files".
 */
const UNMISTAKABLE =
  /ransom|files?[-_ .]*(deleted|encrypted|locked|stolen|leaked)|(deleted|encrypted|locked|stolen)[-_ .]*files|your[-_ .]*(files|data)/;

/**
 * Words Elastic lists (decrypt, restore, recover, instructions, how-to, read-me) that ordinary documents use too:
 * a finding only in the bucket's root, where a note is put to be seen first, and only combined as notes combine
 * them. A plain README at the root is not one (software and data buckets carry them).
 */
const AT_ROOT =
  /decrypt|unlock|(how|help)[-_ .]*(to)?[-_ .]*(recover|restore|get[-_ .]*back|pay)|(recover|restore)[-_ .]*(your|my|the|all)?[-_ .]*(files|data)|read[-_ .]*me[-_ .]*(now|first|important|warning|!)|!!!/;

const keyOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'key');
const bucketOf = (e: CloudTrailRecord): string | undefined => stringParam(e.requestParameters, 'bucketName');

/** Why the key looks like a ransom note; undefined when it does not. */
const noteReason = (key: string): string | undefined => {
  const trimmed = key.replace(/^\/+/, '');
  const name = (trimmed.split('/').pop() ?? '').toLowerCase();
  if (!NOTE_EXTENSION.test(name)) return undefined;
  // CloudTrail's and S3 access logs' own objects are never notes, whatever their names.
  if (/^awslogs\//i.test(trimmed)) return undefined;
  if (UNMISTAKABLE.test(name)) return `object name ${JSON.stringify(key)} reads as a ransom note`;
  if (!trimmed.includes('/') && AT_ROOT.test(name)) {
    return `object ${JSON.stringify(key)} at the bucket root reads as a ransom note`;
  }
  return undefined;
};

const reasons = (e: CloudTrailRecord): string[] => {
  if (parametersNotRecorded(e)) return ['the object key was not recorded: treated as a possible note'];
  const key = keyOf(e);
  const why = key === undefined ? undefined : noteReason(key);
  return why === undefined ? [] : [why];
};

const put = (key: string) => ({ requestParameters: { key } });

export const rule = defineRule({
  id: 's3.ransom-note-uploaded',
  title: 'Object that reads as a ransom note written to an S3 bucket',
  severity: 'high',
  escalation: { high: 'critical' },
  controls: ['A.8.10', 'A.8.16'],
  mitre: ['T1485', 'T1486'],
  on: { source: 's3', eventNames: ['PutObject', 'CopyObject'] },
  match: (e) => isSuccess(e) && !isServiceInvoked(e) && reasons(e).length > 0,
  explain: (e) => [
    `${actorArn(e)} wrote s3://${bucketOf(e) ?? '(bucket not recorded)'}/${keyOf(e) ?? '(key not recorded)'}`,
    ...reasons(e),
  ],
  resources: (e) => {
    const bucket = bucketOf(e);
    return bucket === undefined ? [] : [s3BucketArn(partitionOf(e.awsRegion), bucket)];
  },
  // One note per prefix is one attack: one finding per bucket an hour.
  dedup: { key: (e) => `${accountOf(e)}|${bucketOf(e) ?? actorArn(e)}`, windowSeconds: 3600 },
});

/** Why the rule is as it is, where it is wrong, and its cases: for tests, docs and drills, never bundled. */
export const docs: RuleDocs = {
  description:
    'A PutObject (or CopyObject) wrote an object whose name reads as a ransom note: a text or web page named for ' +
    'ransom, for files deleted, encrypted, locked or stolen, or "your files", anywhere in the bucket; or, at the ' +
    'bucket root, one telling the reader how to decrypt, recover or restore their data. S3 ransomware deletes or ' +
    're-encrypts the objects (SSE-C with a key AWS never keeps) and leaves such a note. Needs S3 data events for the ' +
    'bucket in the trail.',
  runbook: [
    'Read the note (`aws s3 cp s3://<bucket>/<key> -`) and keep it as evidence with its version id.',
    'Look for the damage around it: DeleteObject/DeleteObjects bursts (s3.objects-deleted-burst, ' +
      's3.objects-bulk-deleted), objects rewritten with SSE-C or an outside key (s3.encrypted-with-outside-key), ' +
      'versioning or lifecycle changes (s3.bucket-protection-weakened).',
    'Contain: revoke the writer’s credentials, put a deny-all bucket policy except for responders, and restore ' +
      'from previous versions or backups (`aws s3api list-object-versions --bucket <bucket>`).',
  ],
  rationale:
    'Elastic impact_s3_bucket_object_uploaded_with_ransom_keyword matches any key containing how, help, read, get, ' +
    'info, save…, which in a busy bucket is mostly ordinary files. Here the words that only notes use match ' +
    'anywhere, and the ones documents use too (decrypt, restore, recover, read-me) only at the bucket root and ' +
    'combined as notes combine them; only text and web-page names count, CloudTrail and access-log prefixes ' +
    '(AWSLogs/) and AWS services acting alone are excluded. A note means the destruction has happened: high, ' +
    'critical on high-criticality accounts, one finding per bucket an hour. Any caller, the approved pipeline ' +
    'included: no deploy writes a ransom note. A record whose key was not recorded counts (fail safe). It pairs ' +
    'with s3.encrypted-with-outside-key (the SSE-C rewrite) and the deletion rules, which see the damage itself.',
  falsePositives: [
    'Security teams running ransomware drills (Stratus Red Team writes FILES-DELETED.txt): suppress for the drill ' +
      'bucket.',
    'Documentation buckets with pages such as "how-to-restore-your-data.html" at the root.',
  ],
  cases: () => [
    {
      name: 'Stratus-style note FILES-DELETED.txt at the bucket root',
      expect: 'match',
      event: fixture('s3/PutObject-ransom-note'),
    },
    {
      name: 'a note in every prefix (files encrypted, HTML)',
      expect: 'match',
      event: fixture('s3/PutObject-ransom-note', put('invoices/2026/YOUR_FILES_ARE_ENCRYPTED.html')),
    },
    {
      name: 'how to decrypt, at the root',
      expect: 'match',
      event: fixture('s3/PutObject-ransom-note', put('HOW_TO_DECRYPT.txt')),
    },
    {
      name: 'copied into place',
      expect: 'match',
      event: fixture('s3/PutObject-ransom-note', {
        eventName: 'CopyObject',
        requestParameters: { key: 'RANSOM_NOTE.txt' },
      }),
    },
    {
      name: 'key not recorded (fail safe)',
      expect: 'match',
      event: fixture('s3/PutObject-ransom-note', {
        requestParameters: {
          bucketName: undefined,
          Host: undefined,
          key: undefined,
          'x-id': undefined,
          reason: 'requestParameters too large',
          omitted: true,
        },
      }),
    },
    {
      name: 'refused',
      expect: 'no-match',
      event: fixture('s3/PutObject-ransom-note', denied('AccessDenied', 's3:PutObject')),
    },
    {
      name: 'a plain README.txt at the root',
      expect: 'no-match',
      event: fixture('s3/PutObject-ransom-note', put('README.txt')),
    },
    {
      name: 'a decryption guide deep in a docs prefix',
      expect: 'no-match',
      event: fixture('s3/PutObject-ransom-note', put('docs/kms/how-to-decrypt.html')),
    },
    {
      name: 'a data file whose name has a keyword (not a note’s extension)',
      expect: 'no-match',
      event: fixture('s3/PutObject-ransom-note', put('exports/encrypted-files-index.parquet')),
    },
    {
      name: 'CloudTrail delivering its own log files',
      expect: 'no-match',
      event: fixture('s3/PutObject-ransom-note', {
        ...byAwsService('cloudtrail'),
        requestParameters: { key: 'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/03/ransom.txt' },
      }),
    },
  ],
};
