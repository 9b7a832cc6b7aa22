import type { S3Client } from '@aws-sdk/client-s3';
import type { TriageStore } from '../../triage/webhook.ts';
import { putOnce } from './s3-put-once.ts';

/** Triage objects into the Object-Lock bucket: checksummed, and never over an existing key (IfNoneMatch). */
export const createS3TriageStore = (client: S3Client, bucket: string): TriageStore => ({
  put: async (key, body) => (await putOnce(client, { bucket, key, body })).outcome,
});
