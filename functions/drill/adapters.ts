import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ElevatedReport } from '../elevated-access/elevated-access.ts';
import { isPreconditionFailed, putOnce } from '../shared/adapters/s3-put-once.ts';
import type { DrillPage, DrillQueue, DrillRecordStore, ElevatedInvoker, EvidenceProbe, PageReader } from './drill.ts';
import { parseDrillPage } from './drill.ts';

/** The evaluate function's queue: SendMessageBatch in tens (the SQS limit); any refused entry fails the send. */
export const createSqsDrillQueue = (client: SQSClient, queueUrl: string, now: () => number = Date.now): DrillQueue => ({
  send: async (bodies, options) => {
    const { SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    const delay = options?.lastDelaySeconds;
    for (let i = 0; i < bodies.length; i += 10) {
      const out = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(i, i + 10).map((body, j) => ({
            Id: `m${i + j}`,
            MessageBody: body,
            // SQS may reorder: the sequence's last event waits until the others were remembered.
            ...(delay !== undefined && i + j === bodies.length - 1 ? { DelaySeconds: delay } : {}),
          })),
        }),
      );
      const refused = out.Failed ?? [];
      if (refused.length > 0)
        throw new Error(`SQS refused ${refused.length} drill message(s): ${refused[0]?.Code ?? ''}`);
    }
    return now();
  },
});

/** The drill-only subscription queue: long-polled ReceiveMessage, DeleteMessageBatch for handled pages. */
export const createSqsPageReader = (client: SQSClient, queueUrl: string): PageReader => ({
  receive: async (waitSeconds) => {
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: Math.min(20, waitSeconds),
        // Unmatched pages (another run's) come back after this, for the run they belong to.
        VisibilityTimeout: 30,
      }),
    );
    return (out.Messages ?? []).flatMap((m): DrillPage[] => {
      const page = parseDrillPage(m.ReceiptHandle ?? '', m.Body ?? '');
      return page === undefined ? [] : [page];
    });
  },
  done: async (receipts) => {
    if (receipts.length === 0) return;
    const { DeleteMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    for (let i = 0; i < receipts.length; i += 10) {
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: receipts.slice(i, i + 10).map((r, j) => ({ Id: `d${i + j}`, ReceiptHandle: r })),
        }),
      );
    }
  },
});

const notFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

/** HeadObject on `findings/…` only: LastModified is when S3 archived the finding. */
export const createS3EvidenceProbe = (client: S3Client, bucket: string): EvidenceProbe => ({
  archivedAt: async (key) => {
    // A page names the key; a forged page must not turn the probe toward another prefix.
    if (!key.startsWith('findings/')) return undefined;
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return out.LastModified?.getTime();
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  },
});

/** Drill records under `drills/`, written once (a run id is new per run, so `exists` means a retried write). */
export const createS3DrillRecordStore = (client: S3Client, bucket: string): DrillRecordStore => ({
  put: async (key, body) => {
    try {
      await putOnce(client, { bucket, key, body, metadata: { kind: 'drill-run' } });
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
    }
  },
});

const isReport = (v: unknown): v is ElevatedReport =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { delivered?: unknown }).delivered) &&
  Array.isArray((v as { resolved?: unknown }).resolved);

/**
 * The elevated-access check, invoked synchronously (lambda:InvokeFunction on that one function is all the drill's
 * role may do to it). A function error or a reply that is not a report is an error: the drill fails, never passes.
 */
export const createLambdaElevatedInvoker = (client: LambdaClient, functionName: string): ElevatedInvoker => ({
  invoke: async (message) => {
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(message)),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) throw new Error(`function error (${out.FunctionError}): ${text.slice(0, 200)}`);
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      throw new Error('the elevated-access check answered with something that is not JSON');
    }
    if (!isReport(reply)) throw new Error('the reply is not an elevated-access report');
    return reply;
  },
});
