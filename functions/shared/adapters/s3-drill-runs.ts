import type { S3Client } from '@aws-sdk/client-s3';
import type { DrillRunRecord } from '../../../rules/core/drill-run.ts';
import { DRILL_PREFIX } from '../../../rules/core/drill-run.ts';
import type { DrillRunSource } from '../../health/health.ts';
import { listPages } from './s3-list.ts';

/**
 * Drill records under `drills/`: one listing from the first day wanted (keys sort by day, then start time), and
 * GetObject for the runs whose details a finding names. List and read only: nothing here writes evidence.
 */
export const createS3DrillRunSource = (client: S3Client, bucket: string): DrillRunSource => ({
  keysSince: async (sinceMs) => {
    // `dt=` of the day before `since`, so the day itself is listed whole.
    const startAfter = `${DRILL_PREFIX}dt=${new Date(sinceMs - 86_400_000).toISOString().slice(0, 10)}/~`;
    const keys: string[] = [];
    for await (const page of listPages(client, { Bucket: bucket, Prefix: DRILL_PREFIX, StartAfter: startAfter })) {
      for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    }
    return keys;
  },
  read: async (key) => {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await got.Body?.transformToString()) ?? '{}') as DrillRunRecord;
  },
});
